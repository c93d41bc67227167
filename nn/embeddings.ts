/**
 * Embeddings of scalar times (s, u, t of a flow map): fixed sinusoidal features and random
 * Fourier features.
 *
 * @module
 */

import {
  checkOptions,
  concat,
  constLike,
  exp,
  fmtShape,
  iotaLike,
  type Key,
  normal,
  reshape,
  type Tensor,
} from "@mfm/tensor";

function asColumn(t: Tensor, where: string): Tensor {
  if (t.rank === 1) return reshape(t, [t.shape[0], 1]);
  if (t.rank === 2 && t.shape[1] === 1) return t;
  throw new RangeError(`${where}: expected times of shape [B] or [B, 1], got ${fmtShape(t.shape)}`);
}

/**
 * Transformer-style sinusoidal embedding of times `[B]` into `[B, dim]`: `[cos(t·f_k), sin(t·f_k)]`
 * with frequencies `f_k = maxPeriod^{−k/(dim/2)}`, times scaled by `scale` first.
 *
 * @example
 * ```ts
 * const e = sinusoidalEmbedding(t, 64); // t in [0, 1], scale 1000 by default
 * ```
 */
export function sinusoidalEmbedding(
  t: Tensor,
  dim: number,
  opts: { maxPeriod?: number; scale?: number } = {},
): Tensor {
  checkOptions(opts, ["maxPeriod", "scale"], "sinusoidalEmbedding");
  if (!Number.isInteger(dim) || dim < 2 || dim % 2 !== 0) {
    throw new RangeError(`sinusoidalEmbedding: dim ${dim} must be an even integer ≥ 2`);
  }
  const half = dim / 2;
  const col = asColumn(t, "sinusoidalEmbedding").mul(opts.scale ?? 1000);
  const k = iotaLike(half, col, col.dtype);
  const freqs = exp(k.mul(-Math.log(opts.maxPeriod ?? 10000) / half));
  const args = col.mul(reshape(freqs, [1, half]));
  return concat([args.cos(), args.sin()], -1);
}

/** Parameters of random Fourier features: a fixed frequency matrix `[inDim, numFeatures]`. */
export type FourierParams = { readonly freqs: Tensor };

/**
 * Random Fourier features with frequencies N(0, scale²).
 *
 * @example
 * ```ts
 * const ff = initFourierFeatures(key(0), 1, 32, 16);
 * ```
 */
export function initFourierFeatures(
  key: Key,
  inDim: number,
  numFeatures: number,
  scale = 1,
): FourierParams {
  return { freqs: normal(key, [inDim, numFeatures], { std: scale }) };
}

/**
 * `[cos(2π x B), sin(2π x B)]` for inputs `[B, inDim]` (or times `[B]`): `[B, 2·numFeatures]`.
 *
 * @example
 * ```ts
 * const e = fourierFeatures(ff, t);
 * ```
 */
export function fourierFeatures(p: FourierParams, x: Tensor): Tensor {
  const inDim = p.freqs.shape[0];
  const xin = x.rank === 1 && inDim === 1 ? reshape(x, [x.shape[0], 1]) : x;
  if (xin.shape[xin.rank - 1] !== inDim) {
    throw new RangeError(`fourierFeatures: input ${fmtShape(x.shape)} does not end in ${inDim}`);
  }
  const z = xin.matmul(p.freqs.cast(xin.dtype)).mul(constLike(2 * Math.PI, xin));
  return concat([z.cos(), z.sin()], -1);
}
