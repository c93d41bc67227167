/**
 * Rules of the contractions: `dot` (batched matrix product, equal batch axes) and `conv`
 * (2-D convolution, NCHW input, OIHW kernel, with strides, padding and input/kernel dilation —
 * the dilations make its own transposes expressible as convolutions, as in XLA).
 *
 * @module
 */

import { allocate, isFloat } from "../dtype.ts";
import type { PrimParams } from "../ir.ts";
import * as ops from "../ops.ts";
import { fmtShape, shapesEqual, sizeOf } from "../shape.ts";
import type { Tensor } from "../tensor.ts";
import { bind } from "../trace.ts";
import { addTangents } from "./elementwise.ts";
import { arity, type RuleGroup } from "./rule.ts";

type ConvParams = PrimParams["conv"];

function dilate(n: number, d: number): number {
  return n === 0 ? 0 : 1 + d * (n - 1);
}

/**
 * Matrix product of row-major `a` [m, k] and `b` [k, n] into `c` [m, n] at offsets. Rows of `a`
 * go four at a time so each row of `b` is loaded once per four output rows; sums accumulate in
 * float64 (`acc` holds at least 4n).
 *
 * @example
 * ```ts
 * matmulInto(a, 0, b, 0, c, 0, 2, 3, 4, new Float64Array(16));
 * ```
 */
export function matmulInto(
  a: ArrayLike<number>,
  aOff: number,
  b: ArrayLike<number>,
  bOff: number,
  c: { [i: number]: number },
  cOff: number,
  m: number,
  k: number,
  n: number,
  acc: Float64Array,
): void {
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    acc.fill(0, 0, 4 * n);
    const a0 = aOff + i * k;
    for (let p = 0; p < k; p++) {
      const x0 = a[a0 + p];
      const x1 = a[a0 + k + p];
      const x2 = a[a0 + 2 * k + p];
      const x3 = a[a0 + 3 * k + p];
      const bp = bOff + p * n;
      for (let j = 0; j < n; j++) {
        const bv = b[bp + j];
        acc[j] += x0 * bv;
        acc[n + j] += x1 * bv;
        acc[2 * n + j] += x2 * bv;
        acc[3 * n + j] += x3 * bv;
      }
    }
    const ci = cOff + i * n;
    for (let j = 0; j < 4 * n; j++) c[ci + j] = acc[j];
  }
  for (; i < m; i++) {
    acc.fill(0, 0, n);
    const ai = aOff + i * k;
    for (let p = 0; p < k; p++) {
      const aip = a[ai + p];
      const bp = bOff + p * n;
      for (let j = 0; j < n; j++) acc[j] += aip * b[bp + j];
    }
    const ci = cOff + i * n;
    for (let j = 0; j < n; j++) c[ci + j] = acc[j];
  }
}

function convOutSize(n: number, k: number, p: ConvParams, axis: 0 | 1): number {
  const span = dilate(n, p.lhsDilation[axis]) + p.padding[axis][0] + p.padding[axis][1] -
    dilate(k, p.rhsDilation[axis]);
  return span < 0 ? -1 : Math.floor(span / p.strides[axis]) + 1;
}

/** For each output position and kernel tap along one axis, the input index (or -1 for padding). */
function taps(outN: number, k: number, inN: number, p: ConvParams, axis: 0 | 1): Int32Array {
  const t = new Int32Array(outN * k).fill(-1);
  const ld = p.lhsDilation[axis];
  for (let o = 0; o < outN; o++) {
    for (let j = 0; j < k; j++) {
      const pos = o * p.strides[axis] + j * p.rhsDilation[axis] - p.padding[axis][0];
      if (pos >= 0 && pos % ld === 0 && pos / ld < inN) t[o * k + j] = pos / ld;
    }
  }
  return t;
}

/** Sizes after dilation of the input, the kernel and the output along one axis. */
function dilated(inN: number, k: number, outN: number, p: ConvParams, axis: 0 | 1) {
  return {
    ld: dilate(inN, p.lhsDilation[axis]),
    kd: dilate(k, p.rhsDilation[axis]),
    od: dilate(outN, p.strides[axis]),
    lo: p.padding[axis][0],
  };
}

// Paddings of the convolutions that compute conv's input and kernel cotangents (as in XLA).
function convVjpLhsPadding(
  inN: number,
  k: number,
  outN: number,
  p: ConvParams,
  axis: 0 | 1,
): [number, number] {
  const { ld, kd, od, lo } = dilated(inN, k, outN, p, axis);
  const before = kd - lo - 1;
  return [before, ld + kd - 1 - od - before];
}

function convVjpRhsPadding(
  inN: number,
  k: number,
  outN: number,
  p: ConvParams,
  axis: 0 | 1,
): [number, number] {
  const { ld, kd, od, lo } = dilated(inN, k, outN, p, axis);
  return [lo, od - ld + (kd - lo - 1)];
}

function conv(x: Tensor, w: Tensor, p: ConvParams): Tensor {
  return bind("conv", [x, w], p);
}

/** Rules of dot and conv. */
export const LINALG_RULES: RuleGroup<"dot" | "conv"> = {
  dot: {
    shape: (inputs) => {
      arity("dot", inputs, 2);
      const [a, b] = inputs;
      const ra = a.shape.length;
      const rb = b.shape.length;
      const ok = ra >= 2 && ra === rb && shapesEqual(a.shape.slice(0, -2), b.shape.slice(0, -2)) &&
        a.shape[ra - 1] === b.shape[rb - 2];
      if (!ok) {
        throw new RangeError(
          `dot: expected [...B, m, k] and [...B, k, n], got ${fmtShape(a.shape)} and ${
            fmtShape(b.shape)
          }`,
        );
      }
      if (a.dtype !== b.dtype || !isFloat(a.dtype)) {
        throw new TypeError(
          `dot: operands must share a float dtype, got ${a.dtype} and ${b.dtype}`,
        );
      }
      return { shape: [...a.shape.slice(0, -1), b.shape[rb - 1]], dtype: a.dtype };
    },
    eval: ([a, b], _p, out) => {
      const r = a.shape.length;
      const [m, k, n] = [a.shape[r - 2], a.shape[r - 1], b.shape[r - 1]];
      const batch = sizeOf(a.shape.slice(0, -2));
      const data = allocate(out.dtype, sizeOf(out.shape));
      const acc = new Float64Array(4 * n);
      for (let i = 0; i < batch; i++) {
        matmulInto(a.data, i * m * k, b.data, i * k * n, data, i * m * n, m, k, n, acc);
      }
      return { ...out, data };
    },
    jvp: ({ primals: [a, b], tangents: [ta, tb] }) =>
      addTangents(ta && bind("dot", [ta, b], {}), tb && bind("dot", [a, tb], {})),
    vjp: ({ ct, primals: [a, b], needs }) => [
      needs[0] ? bind("dot", [ct, ops.mT(b)], {}) : null,
      needs[1] ? bind("dot", [ops.mT(a), ct], {}) : null,
    ],
  },
  conv: {
    shape: (inputs, p) => {
      arity("conv", inputs, 2);
      const [x, w] = inputs;
      if (x.shape.length !== 4 || w.shape.length !== 4 || x.shape[1] !== w.shape[1]) {
        throw new RangeError(
          `conv: expected input [N, C, H, W] and kernel [O, C, kh, kw], got ${
            fmtShape(x.shape)
          } and ${fmtShape(w.shape)}`,
        );
      }
      if (x.dtype !== w.dtype || !isFloat(x.dtype)) {
        throw new TypeError(
          `conv: operands must share a float dtype, got ${x.dtype} and ${w.dtype}`,
        );
      }
      const pos = [...p.strides, ...p.lhsDilation, ...p.rhsDilation];
      if (!pos.every((v) => Number.isInteger(v) && v >= 1)) {
        throw new RangeError(
          `conv: strides and dilations must be integers ≥ 1, got ${JSON.stringify(p)}`,
        );
      }
      const ho = convOutSize(x.shape[2], w.shape[2], p, 0);
      const wo = convOutSize(x.shape[3], w.shape[3], p, 1);
      if (ho < 0 || wo < 0) {
        throw new RangeError(
          `conv: kernel ${fmtShape(w.shape)} does not fit input ${fmtShape(x.shape)} with padding ${
            JSON.stringify(p.padding)
          }`,
        );
      }
      return { shape: [x.shape[0], w.shape[0], ho, wo], dtype: x.dtype };
    },
    eval: ([x, w], p, out) => {
      const [N, C, H, W] = x.shape;
      const [O, , KH, KW] = w.shape;
      const [, , HO, WO] = out.shape;
      const th = taps(HO, KH, H, p, 0);
      const tw = taps(WO, KW, W, p, 1);
      const data = allocate(out.dtype, sizeOf(out.shape));
      const plane = new Float64Array(HO * WO);
      for (let n = 0; n < N; n++) {
        for (let o = 0; o < O; o++) {
          plane.fill(0);
          for (let c = 0; c < C; c++) {
            const xBase = (n * C + c) * H * W;
            for (let i = 0; i < KH; i++) {
              for (let j = 0; j < KW; j++) {
                const wv = w.data[((o * C + c) * KH + i) * KW + j];
                if (wv === 0) continue;
                for (let oh = 0; oh < HO; oh++) {
                  const ih = th[oh * KH + i];
                  if (ih < 0) continue;
                  const row = xBase + ih * W;
                  const pr = oh * WO;
                  for (let ow = 0; ow < WO; ow++) {
                    const iw = tw[ow * KW + j];
                    if (iw >= 0) plane[pr + ow] += wv * x.data[row + iw];
                  }
                }
              }
            }
          }
          data.set(plane, (n * O + o) * HO * WO);
        }
      }
      return { ...out, data };
    },
    jvp: ({ primals: [x, w], tangents: [tx, tw], params }) =>
      addTangents(tx && conv(tx, w, params), tw && conv(x, tw, params)),
    vjp: ({ ct, primals: [x, w], params: p, needs }) => {
      const [, , H, W] = x.shape;
      const [, , KH, KW] = w.shape;
      const [, , HO, WO] = ct.shape;
      let dx: Tensor | null = null;
      let dw: Tensor | null = null;
      if (needs[0]) {
        const wt = ops.flip(ops.transpose(w, [1, 0, 2, 3]), [2, 3]);
        dx = conv(ct, wt, {
          strides: p.lhsDilation,
          padding: [convVjpLhsPadding(H, KH, HO, p, 0), convVjpLhsPadding(W, KW, WO, p, 1)],
          lhsDilation: p.strides,
          rhsDilation: p.rhsDilation,
        });
      }
      if (needs[1]) {
        const r = conv(ops.transpose(x, [1, 0, 2, 3]), ops.transpose(ct, [1, 0, 2, 3]), {
          strides: p.rhsDilation,
          padding: [convVjpRhsPadding(H, KH, HO, p, 0), convVjpRhsPadding(W, KW, WO, p, 1)],
          lhsDilation: p.lhsDilation,
          rhsDilation: p.strides,
        });
        dw = ops.transpose(r, [1, 0, 2, 3]);
      }
      return [dx, dw];
    },
  },
};
