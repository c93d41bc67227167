/**
 * MFM training configuration: defaults, validation with the list of valid keys, and JSON
 * round trips.
 *
 * @module
 */

import type { MfmMlpOptions } from "@mfm/flowmaps";
import { LR_DECAYS, type LrDecay } from "@mfm/nn";

/** Everything a training run depends on (with the seed, it fixes the run). */
export interface TrainConfig {
  /** Seed of every random draw. */
  seed: number;
  /** Optimisation steps. */
  steps: number;
  /** Batch size. */
  batch: number;
  /** Peak learning rate. */
  lr: number;
  /** `adam` or `radam`. */
  optimizer: "adam" | "radam";
  /** Linear learning-rate warm-up steps. */
  warmupSteps: number;
  /** Learning-rate decay (`none`, `linear`, `cosine`) from `lr` to `lrFinal`. */
  lrDecay: LrDecay;
  /** Step at which the decay begins (a resumed run keeps counting steps, so a late start works). */
  lrDecayStart: number;
  /** Step at which the decay reaches `lrFinal` (0: the last step, `steps`). */
  lrDecayEnd: number;
  /** Learning rate at the end of the decay. */
  lrFinal: number;
  /** EMA decay of the parameters. */
  emaDecay: number;
  /** Global gradient-norm clip (0: none). */
  clipNorm: number;
  /** Diagonal objective (`diagonal`, `diagonal_teacher`, or a plugin's). */
  diagonal: string;
  /** Consistency objective (`semigroup`, `mean_flow`, `eulerian`, `lagrangian`, teacher variants, a plugin's) or `none`. */
  consistency: string;
  /** Weight of the consistency term. */
  consistencyWeight: number;
  /** Fraction of the batch the consistency term is computed on (cheaper steps for big nets). */
  consistencyFraction: number;
  /** Adaptive-loss power of the diagonal term (0: plain L2). */
  adaptivePDiagonal: number;
  /** Adaptive-loss power of the consistency term. */
  adaptivePConsistency: number;
  /** Adaptive-loss offset c. */
  adaptiveC: number;
  /** Outer time t = U^k: the exponent k. */
  tPower: number;
  /** Probability of t = 0. */
  tZeroRate: number;
  /** Steps with s = u only. */
  pairWarmupSteps: number;
  /** Step at which the (s, u) gap reaches full range. */
  pairAnnealEndStep: number;
  /** Interpolant of the inner and outer paths (`linear`, `trig`). */
  interpolant: string;
  /** The network. */
  net: Omit<MfmMlpOptions, "dim">;
  /** Backend name (`onnx`, `cpu`). */
  backend: string;
  /** Write a checkpoint every this many steps (0: only at the end). */
  checkpointEvery: number;
}

/** Defaults: the paper's GMM setting where it is known (semigroup, linear path). */
export const DEFAULT_CONFIG: TrainConfig = {
  seed: 0,
  steps: 4000,
  batch: 1024,
  lr: 1e-3,
  optimizer: "adam",
  warmupSteps: 200,
  lrDecay: "none",
  lrDecayStart: 0,
  lrDecayEnd: 0,
  lrFinal: 0,
  emaDecay: 0.999,
  clipNorm: 1.5,
  diagonal: "diagonal",
  consistency: "semigroup",
  consistencyWeight: 1,
  consistencyFraction: 1,
  adaptivePDiagonal: 0,
  adaptivePConsistency: 0,
  adaptiveC: 0.01,
  tPower: 1,
  tZeroRate: 0.1,
  pairWarmupSteps: 0,
  pairAnnealEndStep: 0,
  interpolant: "linear",
  net: {
    hidden: 256,
    depth: 4,
    fourier: 16,
    fourierScale: 2,
    activation: "silu",
    gateContext: false,
  },
  backend: "onnx",
  checkpointEvery: 1000,
};

const NUMBER_KEYS = [
  "seed",
  "steps",
  "batch",
  "lr",
  "warmupSteps",
  "lrDecayStart",
  "lrDecayEnd",
  "lrFinal",
  "emaDecay",
  "clipNorm",
  "consistencyWeight",
  "consistencyFraction",
  "adaptivePDiagonal",
  "adaptivePConsistency",
  "adaptiveC",
  "tPower",
  "tZeroRate",
  "pairWarmupSteps",
  "pairAnnealEndStep",
  "checkpointEvery",
] as const;
const INTEGER_KEYS = new Set([
  "seed",
  "steps",
  "batch",
  "warmupSteps",
  "lrDecayStart",
  "lrDecayEnd",
  "pairWarmupSteps",
  "pairAnnealEndStep",
  "checkpointEvery",
]);
const NET_KEYS = ["hidden", "depth", "fourier", "fourierScale", "activation", "gateContext"];

/** The valid keys of a config, for messages. */
export const CONFIG_KEYS: readonly string[] = Object.keys(DEFAULT_CONFIG);

/**
 * Merges `partial` over the defaults and validates every field; unknown keys fail with the
 * list of valid ones.
 *
 * @example
 * ```ts
 * const cfg = resolveConfig({ steps: 2000, consistency: "mean_flow" });
 * ```
 */
export function resolveConfig(partial: Record<string, unknown>, where = "config"): TrainConfig {
  if (typeof partial !== "object" || partial === null || Array.isArray(partial)) {
    throw new TypeError(`${where}: expected a JSON object`);
  }
  const unknown = Object.keys(partial).filter((k) => !CONFIG_KEYS.includes(k));
  if (unknown.length > 0) {
    throw new RangeError(
      `${where}: unknown option${unknown.length > 1 ? "s" : ""} ${
        unknown.join(", ")
      }; valid options: ${CONFIG_KEYS.join(", ")}`,
    );
  }
  const net = { ...DEFAULT_CONFIG.net, ...(partial.net as object ?? {}) };
  const badNet = Object.keys(net).filter((k) => !NET_KEYS.includes(k));
  if (badNet.length > 0) {
    throw new RangeError(
      `${where}: unknown net option ${badNet.join(", ")}; valid: ${NET_KEYS.join(", ")}`,
    );
  }
  const cfg = { ...DEFAULT_CONFIG, ...partial, net } as TrainConfig;
  for (const k of NUMBER_KEYS) {
    const v = cfg[k];
    if (
      typeof v !== "number" || !Number.isFinite(v) || v < 0 ||
      (INTEGER_KEYS.has(k) && !Number.isInteger(v))
    ) {
      throw new RangeError(
        `${where}: ${k} ${JSON.stringify(v)} must be a ${
          INTEGER_KEYS.has(k) ? "non-negative integer" : "non-negative number"
        }`,
      );
    }
  }
  if (cfg.steps < 1 || cfg.batch < 1) {
    throw new RangeError(`${where}: steps and batch must be at least 1`);
  }
  if (!(cfg.lr > 0)) throw new RangeError(`${where}: lr ${cfg.lr} must be positive`);
  if (cfg.emaDecay > 1 || cfg.tZeroRate > 1) {
    throw new RangeError(`${where}: emaDecay and tZeroRate must be at most 1`);
  }
  if (!(cfg.consistencyFraction > 0 && cfg.consistencyFraction <= 1)) {
    throw new RangeError(
      `${where}: consistencyFraction ${cfg.consistencyFraction} must be in (0, 1]`,
    );
  }
  if (!LR_DECAYS.includes(cfg.lrDecay)) {
    throw new RangeError(
      `${where}: lrDecay "${cfg.lrDecay}" must be one of ${LR_DECAYS.join(", ")}`,
    );
  }
  if (cfg.lrDecay !== "none") {
    const end = cfg.lrDecayEnd || cfg.steps;
    if (end <= cfg.lrDecayStart) {
      throw new RangeError(
        `${where}: the decay ends at step ${end} (lrDecayEnd, 0 = steps), not after its start ` +
          `lrDecayStart ${cfg.lrDecayStart}`,
      );
    }
    if (cfg.lrFinal > cfg.lr) {
      throw new RangeError(`${where}: lrFinal ${cfg.lrFinal} must be at most lr ${cfg.lr}`);
    }
  }
  if (cfg.optimizer !== "adam" && cfg.optimizer !== "radam") {
    throw new RangeError(`${where}: optimizer "${cfg.optimizer}" must be adam or radam`);
  }
  return cfg;
}
