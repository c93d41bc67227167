/**
 * The MFM training loop (MATH-core §4.5): coupled interpolants, a diagonal and a consistency
 * objective from the registry, adaptive weighting, Adam/RAdam with warm-up, gradient clipping
 * and EMA — one compiled call per step — with a progress bar, periodic safetensors checkpoints
 * (config JSON beside them), resume, and bit-for-bit determinism given the seed.
 *
 * @module
 */

import {
  foldIn,
  getBackend,
  jit,
  type Key,
  key,
  normal,
  setBackend,
  sliceAxis,
  split,
  type Tensor,
  type Tree,
  uniform,
  valueAndGrad,
  writeFileAtomic,
} from "@mfm/tensor";
import {
  adam,
  type AdamState,
  clipGradNorm,
  emaUpdate,
  loadParams,
  radam,
  saveSafetensors,
} from "@mfm/nn";
import { interpolant, interpolate } from "@mfm/interpolants";
import {
  type DriftFn,
  initMfmMlp,
  type MfmMlpConfig,
  mfmMlpConfig,
  type MfmMlpParams,
  mfmMlpVelocity,
  type VelocityFn,
} from "@mfm/flowmaps";
import {
  adaptiveLoss,
  getObjective,
  type ObjectiveBatch,
  sampleInnerPair,
  sampleOuterTime,
} from "@mfm/losses";
import type { TrainConfig } from "./config.ts";
import { ProgressBar } from "./progress.ts";

/** What is learned from: the data dimension, a sampler of data batches, an optional teacher. */
export interface TrainProblem {
  /** Data dimension. */
  readonly dim: number;
  /** `n` data samples `[n, dim]` from a key. */
  readonly sampleData: (k: Key, n: number) => Tensor;
  /** A pretrained drift for teacher objectives. */
  readonly teacher?: DriftFn;
}

/** Parameters, their EMA and the optimiser state at some step. */
export type TrainState<P extends Tree = MfmMlpParams> = {
  readonly params: P;
  readonly ema: P;
  readonly opt: AdamState<P>;
};

/**
 * A network family to train: its initial parameters and the velocity they define. The default
 * is the MFM MLP of `config.net`; images use `mfmUNetVelocity` through this door.
 */
export interface MfmModel<P extends Tree = Tree> {
  /** Initial parameters. */
  init(k: Key): P;
  /** v^θ of parameters. */
  velocity(params: P): VelocityFn;
}

/** One logged point of the loss curve. */
export interface LossRecord {
  /** Step (after the update). */
  readonly step: number;
  /** Total loss. */
  readonly loss: number;
  /** Diagonal term. */
  readonly diagonal: number;
  /** Consistency term. */
  readonly consistency: number;
}

/** Result of a run. */
export interface TrainResult<P extends Tree = MfmMlpParams> {
  /** Final state. */
  readonly state: TrainState<P>;
  /** The MLP configuration (`config.net` resolved; unused when `TrainOptions.model` is given). */
  readonly net: MfmMlpConfig;
  /** Logged losses. */
  readonly losses: readonly LossRecord[];
  /** Training throughput of this run (steps per second, compile excluded). */
  readonly stepsPerSecond: number;
  /** Step reached. */
  readonly step: number;
}

/** Options of `trainMfm`. */
export interface TrainOptions<P extends Tree = Tree> {
  /** Folder for `checkpoint.safetensors` and `config.json` (none: no checkpoints). */
  outDir?: string;
  /** Continue from the checkpoint in `outDir` if there is one. */
  resume?: boolean;
  /** Progress bar on stderr; default true. */
  progress?: boolean;
  /** The network to train instead of the MLP of `config.net`. */
  model?: MfmModel<P>;
  /**
   * Called after every checkpoint is written (the periodic ones and the last), with the state and
   * the step it holds: a caller exports usable weights (the EMA) as it goes, so a long run can be
   * evaluated while it trains and a kill loses at most `checkpointEvery` steps of them.
   */
  onCheckpoint?: (state: TrainState<P>, step: number) => Promise<void> | void;
}

const CHECKPOINT = "checkpoint.safetensors";
const LOSSES = "losses.jsonl";

/**
 * The loss history a run with `outDir` appended to `losses.jsonl` (across resumes), oldest first;
 * records past `upTo` (from a run that was killed after its last checkpoint) are dropped.
 *
 * @example
 * ```ts
 * const history = await readLossHistory("out/mnist", 5000);
 * ```
 */
export async function readLossHistory(dir: string, upTo = Infinity): Promise<LossRecord[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(`${dir}/${LOSSES}`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  const byStep = new Map<number, LossRecord>();
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as LossRecord;
    if (r.step <= upTo) byStep.set(r.step, r); // a resumed run rewrites steps after its checkpoint
  }
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

async function saveCheckpoint(
  dir: string,
  state: TrainState<Tree>,
  step: number,
  config: TrainConfig,
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await saveSafetensors(`${dir}/${CHECKPOINT}`, state, {
    step: String(step),
    config: JSON.stringify(config),
  });
  await writeFileAtomic(
    `${dir}/config.json`,
    new TextEncoder().encode(JSON.stringify({ ...config, step }, null, 2) + "\n"),
  );
}

/**
 * Trains an MFM MLP on `problem` with `config`.
 *
 * @example
 * ```ts
 * const gmm = paperGmm();
 * const result = await trainMfm(resolveConfig({ steps: 2000 }), { dim: 2, sampleData: (k, n) => gmm.sample(k, n) });
 * ```
 */
export async function trainMfm<P extends Tree = MfmMlpParams>(
  config: TrainConfig,
  problem: TrainProblem,
  opts: TrainOptions<P> = {},
): Promise<TrainResult<P>> {
  const previous = getBackend().name;
  setBackend(config.backend);
  try {
    return await run(config, problem, opts as unknown as TrainOptions) as unknown as TrainResult<
      P
    >;
  } finally {
    setBackend(previous);
  }
}

async function run(
  config: TrainConfig,
  problem: TrainProblem,
  opts: TrainOptions,
): Promise<TrainResult<Tree>> {
  const path = interpolant(config.interpolant);
  const diagonal = getObjective(config.diagonal);
  const consistency = config.consistency === "none" ? undefined : getObjective(config.consistency);
  for (const o of [diagonal, consistency]) {
    if (o?.needsTeacher && !problem.teacher) {
      throw new Error(`objective "${o.name}" needs a teacher drift, and the problem has none`);
    }
  }
  if (diagonal.kind !== "diagonal") {
    throw new RangeError(`diagonal: "${diagonal.name}" is a ${diagonal.kind} objective`);
  }
  if (consistency && consistency.kind !== "consistency") {
    throw new RangeError(`consistency: "${consistency.name}" is a ${consistency.kind} objective`);
  }
  const net = mfmMlpConfig({ dim: problem.dim, ...config.net });
  const root = key(config.seed);
  const [kInit, kSteps] = split(root);
  const opt = (config.optimizer === "radam" ? radam : adam)({
    lr: config.lr,
    warmupSteps: config.warmupSteps,
    ...(config.lrDecay === "none" ? {} : {
      decay: config.lrDecay,
      decayStart: config.lrDecayStart,
      decayEnd: config.lrDecayEnd || config.steps,
      lrFinal: config.lrFinal,
    }),
  });
  const model: MfmModel = opts.model ?? {
    init: (k) => initMfmMlp(k, net),
    velocity: (p) => mfmMlpVelocity(net, p as MfmMlpParams),
  };
  const params0 = model.init(kInit);
  let state: TrainState<Tree> = { params: params0, ema: params0, opt: opt.init(params0) };
  let start = 0;
  if (opts.outDir && opts.resume) {
    try {
      const ck = `${opts.outDir}/${CHECKPOINT}`;
      const meta = JSON.parse(await Deno.readTextFile(`${opts.outDir}/config.json`)) as {
        step: number;
      };
      state = await loadParams(ck, state);
      start = meta.step;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }

  const B = config.batch;
  const Bc = Math.max(1, Math.round(B * config.consistencyFraction));
  const step = jit((st: TrainState<Tree>, d: Record<string, Tensor>) => {
    const lossFn = (p: Tree) => {
      const v = model.velocity(p);
      const { xt } = interpolate(path, d.t, d.x0, d.x1);
      const base = {
        v,
        inner: path,
        outer: path,
        x1: d.x1,
        t: d.t,
        xt,
        teacher: problem.teacher,
        gamma: d.gamma,
      };
      const diagBatch: ObjectiveBatch = { ...base, s: d.sd, u: d.sd, xbar: d.xbd };
      const diag = adaptiveLoss(diagonal.residual(diagBatch), {
        p: config.adaptivePDiagonal,
        c: config.adaptiveC,
      });
      if (!consistency) return { value: diag, aux: { diag, cons: diag.mul(0) } };
      // the consistency term on the first Bc rows (consistencyFraction)
      const head = (x: Tensor) => (Bc < B ? sliceAxis(x, 0, 0, Bc) : x);
      const consBatch: ObjectiveBatch = {
        ...base,
        x1: head(d.x1),
        t: head(d.t),
        xt: head(xt),
        gamma: head(d.gamma),
        s: d.s,
        u: d.u,
        xbar: d.xbc,
      };
      const cons = adaptiveLoss(consistency.residual(consBatch), {
        p: config.adaptivePConsistency,
        c: config.adaptiveC,
      });
      return { value: diag.add(cons.mul(config.consistencyWeight)), aux: { diag, cons } };
    };
    const { value, grad, aux } = valueAndGrad(lossFn, { hasAux: true })(st.params);
    const g = config.clipNorm > 0 ? clipGradNorm(grad, config.clipNorm).grads : grad;
    const upd = opt.update(g, st.opt, st.params);
    const terms = aux as { diag: Tensor; cons: Tensor };
    return {
      state: {
        params: upd.params,
        opt: upd.state,
        ema: emaUpdate(st.ema, upd.params, config.emaDecay),
      },
      loss: value,
      diag: terms.diag,
      cons: terms.cons,
    };
  });

  const draws = (i: number): Record<string, Tensor> => {
    const ks = split(foldIn(kSteps, i), 8);
    const pair = sampleInnerPair(ks[6], Bc, {
      step: i,
      warmupSteps: config.pairWarmupSteps,
      annealEndStep: config.pairAnnealEndStep,
    });
    return {
      x1: problem.sampleData(ks[0], B),
      x0: normal(ks[1], [B, problem.dim]),
      xbd: normal(ks[2], [B, problem.dim]),
      xbc: normal(ks[3], [Bc, problem.dim]),
      t: sampleOuterTime(ks[4], B, { power: config.tPower, zeroRate: config.tZeroRate }),
      sd: uniform(ks[5], [B]),
      s: pair.s,
      u: pair.u,
      gamma: uniform(ks[7], [B]),
    };
  };

  const bar = new ProgressBar("train", config.steps, opts.progress ?? true);
  const losses: LossRecord[] = [];
  const logEvery = Math.max(1, Math.floor(config.steps / 100));
  let timed = 0;
  let timedSteps = 0;
  for (let i = start; i < config.steps; i++) {
    const t0 = performance.now();
    const r = step(state, draws(i));
    state = r.state;
    if (i > start) {
      timed += performance.now() - t0;
      timedSteps++;
    }
    const n = i + 1;
    if (n % logEvery === 0 || n === config.steps) {
      // awaited reads work on every backend (WebGPU maps buffers asynchronously)
      const [loss, diagonal, consistency] = await Promise.all([
        r.loss.data(),
        r.diag.data(),
        r.cons.data(),
      ]);
      const rec = { step: n, loss: loss[0], diagonal: diagonal[0], consistency: consistency[0] };
      if (!Number.isFinite(rec.loss)) {
        throw new Error(`training diverged at step ${n}: loss ${rec.loss}`);
      }
      losses.push(rec);
      // the loss history survives a crash or a kill: one JSON line per record, appended
      if (opts.outDir) {
        await Deno.mkdir(opts.outDir, { recursive: true });
        await Deno.writeTextFile(`${opts.outDir}/${LOSSES}`, JSON.stringify(rec) + "\n", {
          append: true,
        });
      }
      const rate = timedSteps > 0 ? timedSteps / (timed / 1000) : 0;
      bar.update(n, { loss: rec.loss.toFixed(4), "steps/s": rate.toFixed(1) });
    }
    if (
      opts.outDir && config.checkpointEvery > 0 && n % config.checkpointEvery === 0 &&
      n < config.steps
    ) {
      await saveCheckpoint(opts.outDir, state, n, config);
      await opts.onCheckpoint?.(state, n);
    }
  }
  bar.done();
  if (opts.outDir) {
    await saveCheckpoint(opts.outDir, state, config.steps, config);
    await opts.onCheckpoint?.(state, config.steps);
  }
  return {
    state,
    net,
    losses,
    stepsPerSecond: timedSteps > 0 ? timedSteps / (timed / 1000) : 0,
    step: config.steps,
  };
}
