/**
 * Convolutional layers as pure functions of parameter trees: 2-D convolution, group
 * normalisation with affine parameters, and 2× resampling (nearest up, mean down).
 *
 * @module
 */

import { conv2d, fmtShape, groupNorm, type Key, ones, type Tensor, zeros } from "@mfm/tensor";
import { heNormal, zerosInit } from "./init.ts";

/** Parameters of a convolution: kernel `[out, in, k, k]`, bias `[out]`. */
export type Conv2dParams = { readonly w: Tensor; readonly b: Tensor };

/**
 * Parameters of a k×k convolution (He-normal kernel, zero bias; `zero` for a zero kernel, the
 * usual last layer of residual branches and of flow-map heads).
 *
 * @example
 * ```ts
 * const p = initConv2d(key(0), 1, 32, 3);
 * ```
 */
export function initConv2d(
  k: Key,
  inChannels: number,
  outChannels: number,
  size: number,
  opts: { zero?: boolean } = {},
): Conv2dParams {
  for (
    const [v, what] of [[inChannels, "inChannels"], [outChannels, "outChannels"], [
      size,
      "size",
    ]] as const
  ) {
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(`initConv2d: ${what} ${v} must be a positive integer`);
    }
  }
  const shape = [outChannels, inChannels, size, size];
  return {
    w: opts.zero ? zerosInit(k, shape) : heNormal(k, shape),
    b: zeros([outChannels]),
  };
}

/**
 * Applies a convolution with "same" padding (stride 1) or, with `stride: 2`, halves the size.
 *
 * @example
 * ```ts
 * const y = conv2dLayer(p, x);               // [N, out, H, W]
 * const d = conv2dLayer(p, x, { stride: 2 }); // [N, out, H/2, W/2]
 * ```
 */
export function conv2dLayer(p: Conv2dParams, x: Tensor, opts: { stride?: number } = {}): Tensor {
  const [, cin, kh] = p.w.shape;
  if (x.rank !== 4 || x.shape[1] !== cin) {
    throw new RangeError(
      `conv2dLayer: input ${fmtShape(x.shape)} is not [N, ${cin}, H, W] (kernel ${
        fmtShape(p.w.shape)
      })`,
    );
  }
  const pad = (kh - 1) / 2;
  return conv2d(x, p.w, { stride: opts.stride ?? 1, padding: Math.floor(pad), bias: p.b });
}

/** Affine parameters of a group norm, `[C]` each. */
export type GroupNormParams = { readonly weight: Tensor; readonly bias: Tensor };

/**
 * Group-norm parameters (weight 1, bias 0).
 *
 * @example
 * ```ts
 * const gn = initGroupNorm(64);
 * ```
 */
export function initGroupNorm(channels: number): GroupNormParams {
  return { weight: ones([channels]), bias: zeros([channels]) };
}

/**
 * Group normalisation with `groups` groups (at most the channel count).
 *
 * @example
 * ```ts
 * const h = groupNormLayer(gn, x, 8);
 * ```
 */
export function groupNormLayer(p: GroupNormParams, x: Tensor, groups: number): Tensor {
  return groupNorm(x, Math.min(groups, x.shape[1]), { weight: p.weight, bias: p.bias });
}

/**
 * Nearest-neighbour 2× upsampling of `[N, C, H, W]`.
 *
 * @example
 * ```ts
 * upsample2x(x); // [N, C, 2H, 2W]
 * ```
 */
export function upsample2x(x: Tensor): Tensor {
  const [n, c, h, w] = x.shape;
  return x.reshape([n, c, h, 1, w, 1]).broadcastTo([n, c, h, 2, w, 2]).reshape([
    n,
    c,
    2 * h,
    2 * w,
  ]);
}

/**
 * 2× mean pooling of `[N, C, H, W]` (H and W even).
 *
 * @example
 * ```ts
 * avgPool2x(x); // [N, C, H/2, W/2]
 * ```
 */
export function avgPool2x(x: Tensor): Tensor {
  const [n, c, h, w] = x.shape;
  if (h % 2 || w % 2) throw new RangeError(`avgPool2x: ${fmtShape(x.shape)} has an odd side`);
  return x.reshape([n, c, h / 2, 2, w / 2, 2]).mean([3, 5]);
}
