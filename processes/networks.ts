/**
 * Network families for context MFMs: how a packed context `[B, c]` enters the velocity. The MLP
 * takes it whole; the image network reads its leading `frames` blocks as image channels beside
 * the state (the paper's extra patch embedders, as channels of a UNet) and the trailing scalars
 * (lags, times) through Fourier features.
 *
 * @module
 */

import { concat, type Key, sliceAxis, split, type Tensor, type Tree } from "@mfm/tensor";
import {
  fourierFeatures,
  type FourierParams,
  initFourierFeatures,
  initUNet,
  unet,
  unetConfig,
  type UNetParams,
} from "@mfm/nn";
import {
  initMfmMlp,
  type MfmMlpConfig,
  mfmMlpConfig,
  type MfmMlpParams,
  mfmMlpVelocity,
  type VelocityFn,
} from "@mfm/flowmaps";

/** A JSON-serialisable network configuration (saved beside checkpoints). */
export type NetworkConfig = Readonly<Record<string, unknown>>;

/** A network family for context MFMs. */
export interface ContextNetwork {
  /** Name for reports. */
  readonly name: string;
  /**
   * The configuration for a problem: state width `dim`, packed-context width `contextDim`;
   * `steerable` packings start with the gated flow state (`dim` values).
   */
  configure(dim: number, contextDim: number, steerable: boolean): NetworkConfig;
  /** Initial parameters. */
  init(k: Key, config: NetworkConfig): Tree;
  /** The velocity v(s, u, x; t, context) of parameters. */
  velocity(config: NetworkConfig, params: Tree): VelocityFn;
}

/**
 * The MFM MLP with the packed context as its context input (no gating: steerable packings gate
 * their own state part).
 *
 * @example
 * ```ts
 * trainContextMfm(problem, { network: mlpContextNetwork({ hidden: 256, depth: 3 }) });
 * ```
 */
export function mlpContextNetwork(opts: { hidden?: number; depth?: number } = {}): ContextNetwork {
  return {
    name: `mlp(${opts.hidden ?? 128}×${opts.depth ?? 3})`,
    configure: (dim, contextDim) =>
      mfmMlpConfig({
        dim,
        contextDim,
        hidden: opts.hidden ?? 128,
        depth: opts.depth ?? 3,
        fourier: 8,
        gateContext: false,
      }),
    init: (k, c) => initMfmMlp(k, mfmMlpConfig(c as unknown as MfmMlpConfig)),
    velocity: (c, p) =>
      mfmMlpVelocity(mfmMlpConfig(c as unknown as MfmMlpConfig), p as MfmMlpParams),
  };
}

interface ImageConfig {
  readonly side: number;
  readonly frames: number;
  readonly scalars: number;
  readonly steerable: boolean;
  readonly channels: readonly number[];
  readonly fourier: number;
  readonly embedDim: number;
}

type ImageParams = {
  readonly ffTime: FourierParams;
  readonly ffScalar: FourierParams;
  readonly unet: UNetParams;
};

function unetOf(c: ImageConfig) {
  return unetConfig({
    inChannels: 1 + (c.steerable ? 1 : 0) + c.frames,
    outChannels: 1,
    channels: c.channels,
    condDim: 2 * c.fourier * (3 + c.scalars),
    embedDim: c.embedDim,
  });
}

/**
 * A UNet over square single-channel frames: the state, (the gated flow state,) and `frames`
 * context frames are input channels; the context's remaining values are scalars embedded with
 * the times.
 *
 * @example
 * ```ts
 * const network = imageContextNetwork({ side: 20, frames: 2, channels: [16, 32] });
 * ```
 */
export function imageContextNetwork(opts: {
  side: number;
  frames: number;
  channels?: readonly number[];
  fourier?: number;
  embedDim?: number;
}): ContextNetwork {
  return {
    name: `unet(${(opts.channels ?? [16, 32]).join(", ")})`,
    configure: (dim, contextDim, steerable) => {
      const S = opts.side * opts.side;
      if (dim !== S) {
        throw new RangeError(`imageContextNetwork: state width ${dim} is not ${opts.side}²`);
      }
      const scalars = contextDim - (steerable ? S : 0) - opts.frames * S;
      if (scalars < 0) {
        throw new RangeError(
          `imageContextNetwork: a context of ${contextDim} values cannot hold ${opts.frames} frames`,
        );
      }
      const c: ImageConfig = {
        side: opts.side,
        frames: opts.frames,
        scalars,
        steerable,
        channels: [...(opts.channels ?? [16, 32])],
        fourier: opts.fourier ?? 8,
        embedDim: opts.embedDim ?? 64,
      };
      unetOf(c); // validates
      return c as unknown as NetworkConfig;
    },
    init: (k, config) => {
      const c = config as unknown as ImageConfig;
      const [k1, k2, k3] = split(k, 3);
      return {
        ffTime: initFourierFeatures(k1, 1, c.fourier, 2),
        ffScalar: initFourierFeatures(k2, Math.max(1, c.scalars), c.fourier, 1),
        unet: initUNet(k3, unetOf(c)),
      } satisfies ImageParams;
    },
    velocity: (config, params) => {
      const c = config as unknown as ImageConfig;
      const p = params as ImageParams;
      const cfg = unetOf(c);
      const S = c.side * c.side;
      return (s, u, x, t, ctx) => {
        const n = x.shape[0];
        const img = (v: Tensor) => v.reshape([n, 1, c.side, c.side]);
        const images = [img(x)];
        let at = 0;
        const take = (w: number) => sliceAxis(ctx, 1, at, at += w);
        if (c.steerable) images.push(img(take(S)));
        for (let f = 0; f < c.frames; f++) images.push(img(take(S)));
        const cond = [s, u, t].map((time) => fourierFeatures(p.ffTime, time));
        if (c.scalars > 0) cond.push(fourierFeatures(p.ffScalar, take(c.scalars)));
        return unet(cfg, p.unet, concat(images, 1), concat(cond, -1)).reshape([n, S]);
      };
    },
  };
}
