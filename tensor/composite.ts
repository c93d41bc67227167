/**
 * Composite operations written in primitives: activations, softmax and logsumexp, layer and
 * group normalisation, attention, losses and 2-D convolution. Their derivatives come from the
 * primitives' rules.
 *
 * @module
 */

import * as ops from "./ops.ts";
import { checkOptions } from "./options.ts";
import { fmtShape, normAxis } from "./shape.ts";
import type { Tensor } from "./tensor.ts";
import { bind } from "./trace.ts";

/** max(x, 0). @example relu(x) */
export function relu(x: Tensor): Tensor {
  return ops.maximum(x, 0);
}

/** x·σ(x) (swish). @example silu(x) */
export function silu(x: Tensor): Tensor {
  return ops.mul(x, ops.sigmoid(x));
}

/**
 * GELU: exact `x·Φ(x)` (with erf) or the tanh approximation.
 *
 * @example
 * ```ts
 * gelu(x, "tanh");
 * ```
 */
export function gelu(x: Tensor, approximate: "none" | "tanh" = "none"): Tensor {
  if (approximate === "tanh") {
    const inner = ops.mul(
      ops.add(x, ops.mul(ops.mul(ops.square(x), x), 0.044715)),
      Math.sqrt(2 / Math.PI),
    );
    return ops.mul(ops.mul(x, 0.5), ops.add(ops.tanh(inner), 1));
  }
  if (approximate !== "none") {
    throw new RangeError(`gelu: approximate must be "none" or "tanh", got "${approximate}"`);
  }
  return ops.mul(ops.mul(x, 0.5), ops.add(ops.erf(ops.mul(x, Math.SQRT1_2)), 1));
}

/** log(1 + eˣ), computed stably as max(x, 0) + log(1 + e^{−|x|}). @example softplus(x) */
export function softplus(x: Tensor): Tensor {
  return ops.add(relu(x), ops.log(ops.add(ops.exp(ops.neg(ops.abs(x))), 1)));
}

/**
 * log Σ exp over axes, shifted by the (gradient-free) maximum for stability.
 *
 * @example
 * ```ts
 * logsumexp(logits, -1);
 * ```
 */
export function logsumexp(
  x: Tensor,
  axes: number | readonly number[] = -1,
  keepDims = false,
): Tensor {
  const m0 = ops.stopGradient(ops.max(x, axes, true));
  // rows that are all −∞ shift by 0 instead of producing NaN
  const m = ops.where(ops.greater(m0, -Infinity), m0, 0);
  const s = ops.add(ops.log(ops.sum(ops.exp(ops.sub(x, m)), axes, true)), m);
  return keepDims ? s : ops.squeeze(s, typeof axes === "number" ? [axes] : axes);
}

/**
 * Softmax along an axis.
 *
 * @example
 * ```ts
 * softmax(logits, -1);
 * ```
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  const e = ops.exp(ops.sub(x, ops.stopGradient(ops.max(x, axis, true))));
  return ops.div(e, ops.sum(e, axis, true));
}

/**
 * log softmax along an axis.
 *
 * @example
 * ```ts
 * logSoftmax(logits, -1);
 * ```
 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return ops.sub(x, logsumexp(x, axis, true));
}

/** Options of the normalisations. */
export interface NormOptions {
  /** Scale (per normalised feature / per channel). */
  weight?: Tensor;
  /** Shift. */
  bias?: Tensor;
  /** Added to the variance; default 1e-5. */
  eps?: number;
}

const NORM_KEYS = ["weight", "bias", "eps"];

/**
 * Layer normalisation over the last axis.
 *
 * @example
 * ```ts
 * layerNorm(h, { weight: g, bias: b });
 * ```
 */
export function layerNorm(x: Tensor, opts: NormOptions = {}): Tensor {
  checkOptions(opts, NORM_KEYS, "layerNorm");
  const mu = ops.mean(x, -1, true);
  const xc = ops.sub(x, mu);
  let y = ops.mul(xc, ops.rsqrt(ops.add(ops.mean(ops.square(xc), -1, true), opts.eps ?? 1e-5)));
  if (opts.weight) y = ops.mul(y, opts.weight);
  if (opts.bias) y = ops.add(y, opts.bias);
  return y;
}

/**
 * Group normalisation of `[N, C, ...spatial]` over groups of channels; weight and bias `[C]`.
 *
 * @example
 * ```ts
 * groupNorm(h, 8, { weight: g, bias: b });
 * ```
 */
export function groupNorm(x: Tensor, groups: number, opts: NormOptions = {}): Tensor {
  checkOptions(opts, NORM_KEYS, "groupNorm");
  if (x.rank < 2) throw new RangeError(`groupNorm: expected [N, C, ...], got ${fmtShape(x.shape)}`);
  const [n, c] = x.shape;
  if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0) {
    throw new RangeError(`groupNorm: ${c} channels cannot be split into ${groups} groups`);
  }
  const g = ops.reshape(x, [n, groups, -1]);
  const mu = ops.mean(g, -1, true);
  const gc = ops.sub(g, mu);
  const y = ops.reshape(
    ops.mul(gc, ops.rsqrt(ops.add(ops.mean(ops.square(gc), -1, true), opts.eps ?? 1e-5))),
    x.shape,
  );
  const chan = [c, ...x.shape.slice(2).map(() => 1)];
  let out = y;
  if (opts.weight) out = ops.mul(out, ops.reshape(opts.weight, chan));
  if (opts.bias) out = ops.add(out, ops.reshape(opts.bias, chan));
  return out;
}

/** Options of `attention`. */
export interface AttentionOptions {
  /** Boolean mask broadcastable to `[..., Lq, Lk]`: true where attending is allowed. */
  mask?: Tensor;
  /** Score scale; default 1/√d. */
  scale?: number;
}

/**
 * Scaled dot-product attention: softmax(q kᵀ · scale) v over `[..., L, d]` operands.
 *
 * @example
 * ```ts
 * attention(q, k, v); // [batch, heads, Lq, dv]
 * ```
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  checkOptions(opts, ["mask", "scale"], "attention");
  const d = q.shape[q.rank - 1];
  let scores = ops.mul(ops.matmul(q, ops.mT(k)), opts.scale ?? 1 / Math.sqrt(d));
  if (opts.mask) scores = ops.where(opts.mask, scores, -1e30);
  return ops.matmul(softmax(scores, -1), v);
}

/**
 * Mean squared error.
 *
 * @example
 * ```ts
 * mse(pred, target);
 * ```
 */
export function mse(pred: Tensor, target: Tensor): Tensor {
  return ops.mean(ops.square(ops.sub(pred, target)));
}

/** Padding of `conv2d`: one number, per-axis numbers, per-axis [lo, hi], or "same" (stride 1). */
export type Conv2dPadding =
  | number
  | readonly [number, number]
  | readonly [readonly [number, number], readonly [number, number]]
  | "same";

/** Options of `conv2d`. */
export interface Conv2dOptions {
  /** Step between windows (per axis or both); default 1. */
  stride?: number | readonly [number, number];
  /** Zero padding; default 0. */
  padding?: Conv2dPadding;
  /** Kernel dilation; default 1. */
  dilation?: number | readonly [number, number];
  /** Per-output-channel bias `[O]`. */
  bias?: Tensor;
}

function pair(v: number | readonly [number, number], what: string): [number, number] {
  const p: [number, number] = typeof v === "number" ? [v, v] : [v[0], v[1]];
  if (!p.every((x) => Number.isInteger(x) && x >= 0)) {
    throw new RangeError(`conv2d: ${what} ${JSON.stringify(v)} must be non-negative integers`);
  }
  return p;
}

/**
 * 2-D convolution of `[N, C, H, W]` with a kernel `[O, C, kh, kw]`.
 *
 * @example
 * ```ts
 * conv2d(x, w, { stride: 2, padding: 1, bias: b });
 * ```
 */
export function conv2d(x: Tensor, w: Tensor, opts: Conv2dOptions = {}): Tensor {
  checkOptions(opts, ["stride", "padding", "dilation", "bias"], "conv2d");
  const strides = pair(opts.stride ?? 1, "stride");
  const rhsDilation = pair(opts.dilation ?? 1, "dilation");
  if (strides.includes(0) || rhsDilation.includes(0)) {
    throw new RangeError("conv2d: stride and dilation must be ≥ 1");
  }
  const p = opts.padding ?? 0;
  let padding: [[number, number], [number, number]];
  if (p === "same") {
    const eff = [0, 1].map((i) => (w.shape[2 + i] - 1) * rhsDilation[i]);
    padding = [[Math.floor(eff[0] / 2), Math.ceil(eff[0] / 2)], [
      Math.floor(eff[1] / 2),
      Math.ceil(eff[1] / 2),
    ]];
  } else if (typeof p === "number" || typeof p[0] === "number") {
    const [ph, pw] = pair(p as number | [number, number], "padding");
    padding = [[ph, ph], [pw, pw]];
  } else {
    const pp = p as readonly (readonly [number, number])[];
    padding = [pair(pp[0], "padding"), pair(pp[1], "padding")];
  }
  const y = bind("conv", [x, w], { strides, padding, lhsDilation: [1, 1], rhsDilation });
  return opts.bias ? ops.add(y, ops.reshape(opts.bias, [1, -1, 1, 1])) : y;
}

/** Options of `convTranspose2d` (PyTorch's ConvTranspose2d and ONNX's ConvTranspose). */
export interface ConvTranspose2dOptions {
  /** Upsampling step (per axis or both); default 1. */
  stride?: number | readonly [number, number];
  /** Rows/columns cropped from the full output: one number, per-axis, or per-axis [lo, hi]. */
  padding?:
    | number
    | readonly [number, number]
    | readonly [
      readonly [number, number],
      readonly [number, number],
    ];
  /** Extra rows/columns at the high end (each < stride or dilation); default 0. */
  outputPadding?: number | readonly [number, number];
  /** Kernel dilation; default 1. */
  dilation?: number | readonly [number, number];
  /** Per-output-channel bias `[O]`. */
  bias?: Tensor;
}

/**
 * Transposed 2-D convolution of `[N, C, H, W]` with a kernel `[C, O, kh, kw]` (the gradient of
 * `conv2d` with respect to its input): each input pixel scatters `stride` apart. Output side
 * `stride·(H − 1) + dilation·(kh − 1) + 1 − lo − hi + outputPadding`.
 *
 * @example
 * ```ts
 * convTranspose2d(x, w, { stride: 2, padding: 1, outputPadding: 1 }); // doubles H and W
 * ```
 */
export function convTranspose2d(x: Tensor, w: Tensor, opts: ConvTranspose2dOptions = {}): Tensor {
  checkOptions(
    opts,
    ["stride", "padding", "outputPadding", "dilation", "bias"],
    "convTranspose2d",
  );
  if (x.rank !== 4 || w.rank !== 4 || x.shape[1] !== w.shape[0]) {
    throw new RangeError(
      `convTranspose2d: input ${fmtShape(x.shape)} and kernel ${fmtShape(w.shape)} must be ` +
        "[N, C, H, W] and [C, O, kh, kw]",
    );
  }
  const stride = pair(opts.stride ?? 1, "stride");
  const dilation = pair(opts.dilation ?? 1, "dilation");
  const outPad = pair(opts.outputPadding ?? 0, "outputPadding");
  if (stride.includes(0) || dilation.includes(0)) {
    throw new RangeError("convTranspose2d: stride and dilation must be ≥ 1");
  }
  if (outPad.some((p, i) => p >= Math.max(stride[i], dilation[i]))) {
    throw new RangeError(
      `convTranspose2d: outputPadding [${outPad}] must be below the stride [${stride}] or the ` +
        `dilation [${dilation}]`,
    );
  }
  const p = opts.padding ?? 0;
  const crop: [number, number][] = typeof p === "number" || typeof p[0] === "number"
    ? pair(p as number | readonly [number, number], "padding").map((v) => [v, v])
    : (p as readonly (readonly [number, number])[]).map((q) => pair(q, "padding"));
  // a conv over the stride-dilated input with the flipped, transposed kernel; crops become
  // negative conv padding
  const padding = [0, 1].map((i) => {
    const kd = dilation[i] * (w.shape[2 + i] - 1) + 1;
    return [kd - 1 - crop[i][0], kd - 1 - crop[i][1] + outPad[i]];
  }) as unknown as [[number, number], [number, number]];
  const wt = ops.flip(ops.transpose(w, [1, 0, 2, 3]), [2, 3]);
  const y = bind("conv", [x, wt], {
    strides: [1, 1],
    padding,
    lhsDilation: stride,
    rhsDilation: dilation,
  });
  return opts.bias ? ops.add(y, ops.reshape(opts.bias, [1, -1, 1, 1])) : y;
}

/**
 * Index of the maximum along an axis (first one on ties), as int32.
 *
 * @example
 * ```ts
 * argmax(logits, -1);
 * ```
 */
export function argmax(x: Tensor, axis = -1): Tensor {
  const a = normAxis(axis, x.rank, "argmax");
  const n = x.shape[a];
  const isMax = ops.equal(x, ops.max(x, a, true));
  const iota = ops.reshape(ops.iotaLike(n, x), x.shape.map((d, i) => (i === a ? d : 1)));
  return ops.neg(ops.max(ops.neg(ops.where(isMax, ops.broadcastTo(iota, x.shape), n)), a));
}

/**
 * The arctangent, composed from primitives: three argument halvings
 * (atan x = 2 atan(x / (1 + √(1 + x²)))) bring |x| below tan(π/16), where an odd Taylor series
 * of degree 13 is accurate to ~1e-12.
 *
 * @example
 * ```ts
 * atan(tensor([1])).item(); // π/4
 * ```
 */
export function atan(x: Tensor): Tensor {
  let z = x;
  for (let i = 0; i < 3; i++) z = ops.div(z, ops.add(ops.sqrt(ops.add(ops.square(z), 1)), 1));
  const z2 = ops.square(z);
  // z·(1 − z²/3 + z⁴/5 − …) by Horner in z²
  let p = ops.constLike(1 / 13, z);
  for (let k = 5; k >= 0; k--) p = ops.add(ops.mul(p, ops.neg(z2)), 1 / (2 * k + 1));
  return ops.mul(ops.mul(z, p), 8);
}
