/**
 * The image MFM: a UNet velocity v_{s,u}(x; t, x_t) for square single-channel images stored flat
 * `[B, side²]` (so every sampler and estimator written for `[B, d]` states applies). The context
 * state enters as a second input channel (MATH-core §9.2's extra patch embedder, as a channel),
 * optionally gated by t (see `gateContext`); s, u and t enter through random Fourier features and
 * the UNet's per-block embedding.
 *
 * @module
 */

import { checkOptions, concat, type Key, split, type Tensor } from "@mfm/tensor";
import {
  fourierFeatures,
  type FourierParams,
  initFourierFeatures,
  initUNet,
  unet,
  type UNetConfig,
  unetConfig,
  type UNetParams,
} from "@mfm/nn";
import { perSample } from "@mfm/interpolants";
import type { VelocityFn } from "./flow_map.ts";

/** Options of `mfmUNetConfig`. */
export interface MfmUNetOptions {
  /** Image side (28 for MNIST); must be divisible by 2^(levels − 1). */
  side: number;
  /** UNet channels per level; default [16, 32, 64]. */
  channels?: readonly number[];
  /** Fourier features per time; default 16. */
  fourier?: number;
  /** Self-attention at the lowest resolution; default false. */
  attention?: boolean;
  /** Embedding width; default 64. */
  embedDim?: number;
  /**
   * Feed t·x_t instead of x_t as the context channel (the network then ignores it exactly at
   * t = 0). Default true, the layout of checkpoints written before the option existed; new
   * training runs set false, since the gate scales the x_t-Jacobian that MFM-G differentiates
   * by t (see `MfmMlpOptions.gateContext`).
   */
  gateContext?: boolean;
}

/** The resolved configuration. */
export type MfmUNetConfig = {
  readonly side: number;
  readonly fourier: number;
  readonly gateContext: boolean;
  readonly unet: UNetConfig;
};

/** Parameters. */
export type MfmUNetParams = { readonly ff: FourierParams; readonly unet: UNetParams };

/**
 * Validates and fills the configuration.
 *
 * @example
 * ```ts
 * const cfg = mfmUNetConfig({ side: 28 });
 * ```
 */
export function mfmUNetConfig(opts: MfmUNetOptions): MfmUNetConfig {
  checkOptions(
    opts,
    ["side", "channels", "fourier", "attention", "embedDim", "gateContext"],
    "mfmUNetConfig",
  );
  const fourier = opts.fourier ?? 16;
  const channels = opts.channels ?? [16, 32, 64];
  const div = 2 ** (channels.length - 1);
  if (!Number.isInteger(opts.side) || opts.side < 1 || opts.side % div) {
    throw new RangeError(
      `mfmUNetConfig: side ${opts.side} must be a positive integer divisible by ${div}`,
    );
  }
  return {
    side: opts.side,
    fourier,
    gateContext: opts.gateContext ?? true,
    unet: unetConfig({
      inChannels: 2,
      outChannels: 1,
      channels,
      condDim: 3 * 2 * fourier,
      embedDim: opts.embedDim ?? 64,
      attention: opts.attention ?? false,
    }),
  };
}

/**
 * Initial parameters.
 *
 * @example
 * ```ts
 * const params = initMfmUNet(key(0), cfg);
 * ```
 */
export function initMfmUNet(k: Key, cfg: MfmUNetConfig): MfmUNetParams {
  const [kf, ku] = split(k);
  return { ff: initFourierFeatures(kf, 1, cfg.fourier, 2), unet: initUNet(ku, cfg.unet) };
}

/**
 * The velocity of given parameters, on flat states `[B, side²]`.
 *
 * @example
 * ```ts
 * const mfm = flowMapOf(mfmUNetVelocity(cfg, params));
 * ```
 */
export function mfmUNetVelocity(cfg: MfmUNetConfig, p: MfmUNetParams): VelocityFn {
  const S = cfg.side;
  return (s, u, x, t, xt) => {
    const n = x.shape[0];
    const img = (v: Tensor) => v.reshape([n, 1, S, S]);
    const ctx = cfg.gateContext ? xt.mul(perSample(t, xt)) : xt;
    const cond = concat([s, u, t].map((time) => fourierFeatures(p.ff, time)), -1);
    return unet(cfg.unet, p.unet, concat([img(x), img(ctx)], 1), cond).reshape([n, S * S]);
  };
}
