/**
 * A small UNet for images (MATH-core §9.2's image backbone, sized for CPUs): residual conv
 * blocks with group norm and SiLU, a conditioning vector added per channel in every block,
 * stride-2 convolutions down, nearest-neighbour up, skip connections by concatenation, optional
 * self-attention at the lowest resolution, and a zero-initialised output convolution.
 *
 * @module
 */

import {
  attention,
  checkOptions,
  concat,
  type Key,
  silu,
  sliceAxis,
  split,
  type Tensor,
} from "@mfm/tensor";
import {
  conv2dLayer,
  type Conv2dParams,
  groupNormLayer,
  type GroupNormParams,
  initConv2d,
  initGroupNorm,
  upsample2x,
} from "./conv.ts";
import { initLinear, initMlp, linear, type LinearParams, mlp, type MlpParams } from "./layers.ts";

/** Options of `unetConfig`. */
export interface UNetOptions {
  /** Input channels (image channels plus conditioning channels). */
  inChannels: number;
  /** Output channels. */
  outChannels: number;
  /** Channels per resolution level, highest resolution first; default [16, 32, 64]. */
  channels?: readonly number[];
  /** Width of the conditioning vector fed to `unet`. */
  condDim: number;
  /** Width of the internal embedding; default 64. */
  embedDim?: number;
  /** Group-norm groups; default 8. */
  groups?: number;
  /** Self-attention at the lowest resolution; default false. */
  attention?: boolean;
}

/** The resolved configuration (saved beside checkpoints). */
export type UNetConfig = Required<UNetOptions>;

/**
 * Validates UNet options and fills defaults.
 *
 * @example
 * ```ts
 * const cfg = unetConfig({ inChannels: 2, outChannels: 1, condDim: 48 });
 * ```
 */
export function unetConfig(opts: UNetOptions): UNetConfig {
  checkOptions(
    opts,
    ["inChannels", "outChannels", "channels", "condDim", "embedDim", "groups", "attention"],
    "unetConfig",
  );
  const cfg: UNetConfig = {
    inChannels: opts.inChannels,
    outChannels: opts.outChannels,
    channels: [...(opts.channels ?? [16, 32, 64])],
    condDim: opts.condDim,
    embedDim: opts.embedDim ?? 64,
    groups: opts.groups ?? 8,
    attention: opts.attention ?? false,
  };
  const ints = [
    cfg.inChannels,
    cfg.outChannels,
    cfg.condDim,
    cfg.embedDim,
    cfg.groups,
    ...cfg.channels,
  ];
  if (!ints.every((v) => Number.isInteger(v) && v >= 1) || cfg.channels.length < 1) {
    throw new RangeError(`unetConfig: sizes ${JSON.stringify(cfg)} must be positive integers`);
  }
  const bad = cfg.channels.find((c) => c % Math.min(cfg.groups, c) !== 0);
  if (bad !== undefined) {
    throw new RangeError(`unetConfig: ${bad} channels cannot be split into ${cfg.groups} groups`);
  }
  return cfg;
}

/** A residual block's parameters. */
export type ResBlockParams = {
  readonly gn1: GroupNormParams;
  readonly conv1: Conv2dParams;
  readonly emb: LinearParams;
  readonly gn2: GroupNormParams;
  readonly conv2: Conv2dParams;
  readonly skip?: Conv2dParams;
};

/** Self-attention parameters (1×1 convolutions for q, k, v and the output). */
export type AttentionParams = {
  readonly gn: GroupNormParams;
  readonly qkv: Conv2dParams;
  readonly out: Conv2dParams;
};

/** UNet parameters. */
export type UNetParams = {
  readonly embed: MlpParams;
  readonly stem: Conv2dParams;
  readonly down: readonly ResBlockParams[];
  readonly downsample: readonly Conv2dParams[];
  readonly mid: ResBlockParams;
  readonly attn?: AttentionParams;
  readonly up: readonly ResBlockParams[];
  readonly reduce: readonly Conv2dParams[];
  readonly gnOut: GroupNormParams;
  readonly out: Conv2dParams;
};

function initResBlock(k: Key, cin: number, cout: number, embedDim: number): ResBlockParams {
  const [k1, k2, k3, k4] = split(k, 4);
  return {
    gn1: initGroupNorm(cin),
    conv1: initConv2d(k1, cin, cout, 3),
    emb: initLinear(k2, embedDim, cout),
    gn2: initGroupNorm(cout),
    // the residual branch starts at zero: every block begins as the identity
    conv2: initConv2d(k3, cout, cout, 3, { zero: true }),
    ...(cin !== cout ? { skip: initConv2d(k4, cin, cout, 1) } : {}),
  };
}

function resBlock(p: ResBlockParams, x: Tensor, emb: Tensor, groups: number): Tensor {
  let h = conv2dLayer(p.conv1, silu(groupNormLayer(p.gn1, x, groups)));
  const [n, c] = h.shape;
  h = h.add(linear(p.emb, emb).reshape([n, c, 1, 1]));
  h = conv2dLayer(p.conv2, silu(groupNormLayer(p.gn2, h, groups)));
  return (p.skip ? conv2dLayer(p.skip, x) : x).add(h);
}

function selfAttention(p: AttentionParams, x: Tensor, groups: number): Tensor {
  const [n, c, h, w] = x.shape;
  const qkv = conv2dLayer(p.qkv, groupNormLayer(p.gn, x, groups)).reshape([n, 3, c, h * w]);
  const part = (i: number) =>
    sliceAxis(qkv, 1, i, i + 1).reshape([n, c, h * w]).transpose([0, 2, 1]);
  const y = attention(part(0), part(1), part(2)).transpose([0, 2, 1]).reshape([n, c, h, w]);
  return x.add(conv2dLayer(p.out, y));
}

/**
 * UNet parameters.
 *
 * @example
 * ```ts
 * const params = initUNet(key(0), cfg);
 * ```
 */
export function initUNet(k: Key, cfg: UNetConfig): UNetParams {
  const C = cfg.channels;
  const L = C.length;
  const ks = split(k, 6 + 4 * L);
  let i = 0;
  const next = () => ks[i++];
  const E = cfg.embedDim;
  const [a0, a1] = split(next(), 2);
  return {
    embed: initMlp(next(), [cfg.condDim, E, E]),
    stem: initConv2d(next(), cfg.inChannels, C[0], 3),
    down: C.map((c) => initResBlock(next(), c, c, E)),
    downsample: C.slice(1).map((c, j) => initConv2d(next(), C[j], c, 3)),
    mid: initResBlock(next(), C[L - 1], C[L - 1], E),
    ...(cfg.attention
      ? {
        attn: {
          gn: initGroupNorm(C[L - 1]),
          qkv: initConv2d(a0, C[L - 1], 3 * C[L - 1], 1),
          out: initConv2d(a1, C[L - 1], C[L - 1], 1, { zero: true }),
        },
      }
      : {}),
    up: C.map((c) => initResBlock(next(), 2 * c, c, E)),
    reduce: C.slice(1).map((c, j) => initConv2d(next(), c, C[j], 1)),
    gnOut: initGroupNorm(C[0]),
    out: initConv2d(next(), C[0], cfg.outChannels, 3, { zero: true }),
  };
}

/**
 * Applies the UNet to images `[N, inChannels, H, W]` (H, W divisible by 2^(levels − 1)) with
 * conditioning vectors `[N, condDim]`.
 *
 * @example
 * ```ts
 * const y = unet(cfg, params, x, cond); // [N, outChannels, H, W]
 * ```
 */
export function unet(cfg: UNetConfig, p: UNetParams, x: Tensor, cond: Tensor): Tensor {
  const L = cfg.channels.length;
  const g = cfg.groups;
  const emb = silu(mlp(p.embed, cond));
  let h = conv2dLayer(p.stem, x);
  const skips: Tensor[] = [];
  for (let l = 0; l < L; l++) {
    h = resBlock(p.down[l], h, emb, g);
    skips.push(h);
    if (l < L - 1) h = conv2dLayer(p.downsample[l], h, { stride: 2 });
  }
  h = resBlock(p.mid, h, emb, g);
  if (p.attn) h = selfAttention(p.attn, h, g);
  for (let l = L - 1; l >= 0; l--) {
    h = resBlock(p.up[l], concat([h, skips[l]], 1), emb, g);
    if (l > 0) h = upsample2x(conv2dLayer(p.reduce[l - 1], h));
  }
  return conv2dLayer(p.out, silu(groupNormLayer(p.gnOut, h, g)));
}
