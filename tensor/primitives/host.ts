/**
 * Loops on host arrays shared by the reference rules: strided reads and writes (transpose,
 * broadcast, slice, reverse, pad and concat are all strided copies) and reductions.
 *
 * @module
 */

import { allocate, type DType, type TypedArray } from "../dtype.ts";
import { type Shape, sizeOf, stridesOf } from "../shape.ts";

/**
 * Calls `f(base, start)` for every row (run along the last axis) of a strided view of `shape`:
 * `base` is the view's offset of the row, `start` its offset in the dense layout.
 */
function forEachRow(
  shape: Shape,
  strides: readonly number[],
  offset: number,
  f: (base: number, start: number) => void,
): void {
  const n = sizeOf(shape);
  const rank = shape.length;
  if (n === 0) return;
  if (rank === 0) return f(offset, 0);
  const idx = new Array<number>(rank).fill(0);
  const last = rank - 1;
  let base = offset;
  for (let i = 0; i < n; i += shape[last]) {
    f(base, i);
    // advance the counter over the outer axes
    for (let a = last - 1; a >= 0; a--) {
      idx[a]++;
      base += strides[a];
      if (idx[a] < shape[a]) break;
      base -= strides[a] * shape[a];
      idx[a] = 0;
    }
  }
}

/**
 * Reads `src` through a strided view into a new dense array of `outShape`.
 *
 * @example
 * ```ts
 * // transpose of a 2×3 matrix
 * stridedRead(src, "float32", 0, [1, 3], [3, 2]);
 * ```
 */
export function stridedRead(
  src: TypedArray,
  dtype: DType,
  offset: number,
  strides: readonly number[],
  outShape: Shape,
): TypedArray {
  const out = allocate(dtype, sizeOf(outShape));
  const len = outShape.length === 0 ? 1 : outShape[outShape.length - 1];
  const step = outShape.length === 0 ? 0 : strides[strides.length - 1];
  forEachRow(outShape, strides, offset, (base, start) => {
    for (let j = 0, p = base; j < len; j++, p += step) out[start + j] = src[p];
  });
  return out;
}

/**
 * Writes the dense `src` (of `srcShape`) into `dst` through a strided view.
 *
 * @example
 * ```ts
 * stridedWrite(dst, 1, [5, 1], src, [2, 3]); // into rows 0-1, columns 1-3 of a 2×5
 * ```
 */
export function stridedWrite(
  dst: TypedArray,
  offset: number,
  strides: readonly number[],
  src: TypedArray,
  srcShape: Shape,
): void {
  const len = srcShape.length === 0 ? 1 : srcShape[srcShape.length - 1];
  const step = srcShape.length === 0 ? 0 : strides[strides.length - 1];
  forEachRow(srcShape, strides, offset, (base, start) => {
    for (let j = 0, p = base; j < len; j++, p += step) dst[p] = src[start + j];
  });
}

/**
 * Reduces `src` of `shape` over `axes` with a binary combiner, starting from `init`.
 * Accumulates in float64 so float32 sums lose less.
 *
 * @example
 * ```ts
 * reduce(src, [2, 3], [1], "float32", 0, (a, b) => a + b); // row sums
 * ```
 */
export function reduce(
  src: TypedArray,
  shape: Shape,
  axes: readonly number[],
  dtype: DType,
  init: number,
  combine: (acc: number, x: number) => number,
): TypedArray {
  const outShape = shape.filter((_, i) => !axes.includes(i));
  const outStrides = stridesOf(outShape);
  // stride in the output of each input axis (0 for reduced axes)
  const map: number[] = [];
  let k = 0;
  for (let i = 0; i < shape.length; i++) map.push(axes.includes(i) ? 0 : outStrides[k++]);
  const acc = new Float64Array(sizeOf(outShape)).fill(init);
  const n = sizeOf(shape);
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  let o = 0;
  for (let i = 0; i < n; i++) {
    acc[o] = combine(acc[o], src[i]);
    for (let a = rank - 1; a >= 0; a--) {
      idx[a]++;
      o += map[a];
      if (idx[a] < shape[a]) break;
      o -= map[a] * shape[a];
      idx[a] = 0;
    }
  }
  const out = allocate(dtype, acc.length);
  for (let i = 0; i < acc.length; i++) out[i] = acc[i];
  return out;
}
