/**
 * The MLP network of an MFM for low-dimensional data: v^θ(s, u, x, t, x_t) from x, the context
 * state x_t and Fourier embeddings of s, u and t, through SiLU layers (MATH-core §3.4, §9.2).
 *
 * @module
 */

import { checkOptions, concat, type Key, split, type Tensor } from "@mfm/tensor";
import {
  type Activation,
  fourierFeatures,
  type FourierParams,
  initFourierFeatures,
  initMlp,
  mlp,
  type MlpParams,
} from "@mfm/nn";
import { perSample } from "@mfm/interpolants";
import type { VelocityFn } from "./flow_map.ts";

/** Options of the MFM MLP. */
export interface MfmMlpOptions {
  /** Data dimension. */
  dim: number;
  /** Hidden width; default 256. */
  hidden?: number;
  /** Number of hidden layers; default 4. */
  depth?: number;
  /** Fourier frequencies per time (embedding width is twice this); default 16. */
  fourier?: number;
  /** Standard deviation of the Fourier frequencies; default 2. */
  fourierScale?: number;
  /** Activation; default silu. */
  activation?: Activation;
  /**
   * Feed t·x_t instead of x_t, so the network ignores the context state exactly at t = 0,
   * where the MFM must be the plain flow map (§9.2); default false. The gate scales the map's
   * x_t-Jacobian by t, which the network must undo by learning a 1/t gain: gated GMM MFMs
   * under-estimate ∇V at small t (slope 0.55 at t = 0.05 against 0.88 ungated), and MFM-G steers
   * too weakly. An ungated map learns to ignore x_t at t = 0 from the data.
   */
  gateContext?: boolean;
  /**
   * Width of the context-state input (default `dim`: x_t). General-process contexts (§8) pack
   * their observations into it.
   */
  contextDim?: number;
}

/** Parameters of the MFM MLP. */
export type MfmMlpParams = { readonly ff: FourierParams; readonly mlp: MlpParams };

/** The resolved configuration. */
export type MfmMlpConfig = Required<MfmMlpOptions>;

/**
 * The configuration with defaults filled in (validated).
 *
 * @example
 * ```ts
 * const cfg = mfmMlpConfig({ dim: 2 });
 * ```
 */
export function mfmMlpConfig(opts: MfmMlpOptions): MfmMlpConfig {
  checkOptions(opts, [
    "dim",
    "hidden",
    "depth",
    "fourier",
    "fourierScale",
    "activation",
    "gateContext",
    "contextDim",
  ], "mfmMlp");
  const cfg: MfmMlpConfig = {
    dim: opts.dim,
    hidden: opts.hidden ?? 256,
    depth: opts.depth ?? 4,
    fourier: opts.fourier ?? 16,
    fourierScale: opts.fourierScale ?? 2,
    activation: opts.activation ?? "silu",
    gateContext: opts.gateContext ?? false,
    contextDim: opts.contextDim ?? opts.dim,
  };
  for (const k of ["dim", "hidden", "depth", "fourier", "contextDim"] as const) {
    if (!Number.isInteger(cfg[k]) || cfg[k] < 1) {
      throw new RangeError(`mfmMlp: ${k} ${cfg[k]} must be a positive integer`);
    }
  }
  return cfg;
}

/**
 * Initial parameters.
 *
 * @example
 * ```ts
 * const params = initMfmMlp(key(0), mfmMlpConfig({ dim: 2 }));
 * ```
 */
export function initMfmMlp(k: Key, cfg: MfmMlpConfig): MfmMlpParams {
  const [kf, km] = split(k);
  const inDim = cfg.dim + cfg.contextDim + 3 * 2 * cfg.fourier;
  return {
    ff: initFourierFeatures(kf, 1, cfg.fourier, cfg.fourierScale),
    mlp: initMlp(km, [inDim, ...new Array(cfg.depth).fill(cfg.hidden), cfg.dim]),
  };
}

/**
 * The velocity v^θ of given parameters.
 *
 * @example
 * ```ts
 * const v = mfmMlpVelocity(cfg, params);
 * v(s, u, x, t, xt); // [B, dim]
 * ```
 */
export function mfmMlpVelocity(cfg: MfmMlpConfig, params: MfmMlpParams): VelocityFn {
  return (s, u, x, t, xt) => {
    const ctx = cfg.gateContext ? xt.mul(perSample(t, xt)) : xt;
    const emb = (time: Tensor) => fourierFeatures(params.ff, time);
    return mlp(params.mlp, concat([x, ctx, emb(s), emb(u), emb(t)], -1), cfg.activation);
  };
}
