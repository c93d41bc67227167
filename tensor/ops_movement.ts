/**
 * Movement and indexing ops: reshape, broadcast, transpose, squeeze/expand, slices, padding,
 * concatenation, reversal, take and scatter-add.
 *
 * @module
 */

import { fmtShape, normAxes, normAxis, shapesEqual, sizeOf } from "./shape.ts";
import type { Tensor } from "./tensor.ts";
import { bind } from "./trace.ts";
import { axesOf, checkTensor } from "./ops_util.ts";

/**
 * Same data, new shape; one entry may be −1 and is inferred.
 *
 * @example
 * ```ts
 * reshape(x, [-1, 2]);
 * ```
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor(x, "reshape");
  const neg1 = shape.filter((d) => d === -1).length;
  if (neg1 > 1 || shape.some((d) => !Number.isInteger(d) || d < -1)) {
    throw new RangeError(
      `reshape: target shape ${fmtShape(shape)} is invalid (integers ≥ 0, at most one -1)`,
    );
  }
  let target = [...shape];
  if (neg1 === 1) {
    const known = sizeOf(shape.filter((d) => d !== -1));
    if (known === 0 || x.size % known !== 0) {
      throw new RangeError(`reshape: cannot reshape ${fmtShape(x.shape)} into ${fmtShape(shape)}`);
    }
    target = shape.map((d) => (d === -1 ? x.size / known : d));
  }
  if (shapesEqual(target, x.shape)) return x;
  return bind("reshape", [x], { shape: target });
}

/**
 * Broadcasts to a shape by NumPy rules.
 *
 * @example
 * ```ts
 * broadcastTo(bias, [batch, 4]);
 * ```
 */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor(x, "broadcastTo");
  if (shapesEqual(x.shape, shape)) return x;
  return bind("broadcast", [x], { shape: [...shape] });
}

/**
 * Permutes axes; reverses them when no permutation is given.
 *
 * @example
 * ```ts
 * transpose(x, [0, 2, 1]);
 * ```
 */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  checkTensor(x, "transpose");
  const p = perm ?? x.shape.map((_, i) => x.rank - 1 - i);
  if (p.every((a, i) => a === i) && p.length === x.rank) return x;
  return bind("transpose", [x], { perm: [...p] });
}

/**
 * Swaps the last two axes.
 *
 * @example
 * ```ts
 * mT(a); // [..., n, m]
 * ```
 */
export function mT(x: Tensor): Tensor {
  if (x.rank < 2) throw new RangeError(`mT: needs rank ≥ 2, got shape ${fmtShape(x.shape)}`);
  const p = x.shape.map((_, i) => i);
  [p[x.rank - 2], p[x.rank - 1]] = [p[x.rank - 1], p[x.rank - 2]];
  return transpose(x, p);
}

/**
 * Inserts a size-1 axis.
 *
 * @example
 * ```ts
 * expandDims(x, 0);
 * ```
 */
export function expandDims(x: Tensor, axis: number): Tensor {
  const a = normAxis(axis, x.rank + 1, "expandDims");
  const s = [...x.shape];
  s.splice(a, 0, 1);
  return reshape(x, s);
}

/**
 * Removes size-1 axes (the given ones, or all).
 *
 * @example
 * ```ts
 * squeeze(x, 1);
 * ```
 */
export function squeeze(x: Tensor, axes?: number | readonly number[]): Tensor {
  const ax = axes === undefined
    ? x.shape.flatMap((d, i) => (d === 1 ? [i] : []))
    : axesOf(x, axes, "squeeze");
  for (const a of ax) {
    if (x.shape[a] !== 1) {
      throw new RangeError(
        `squeeze: axis ${a} of ${fmtShape(x.shape)} has size ${x.shape[a]}, not 1`,
      );
    }
  }
  return reshape(x, x.shape.filter((_, i) => !ax.includes(i)));
}

/**
 * Strided slice: per axis `[start, end)` with a step (defaults: whole axis, step 1).
 *
 * @example
 * ```ts
 * slice(x, [0, 1], [2, 3]);
 * ```
 */
export function slice(
  x: Tensor,
  starts: readonly number[],
  ends?: readonly number[],
  strides?: readonly number[],
): Tensor {
  checkTensor(x, "slice");
  const s = x.shape.map((_, i) => starts[i] ?? 0);
  const e = x.shape.map((d, i) => ends?.[i] ?? d);
  const st = x.shape.map((_, i) => strides?.[i] ?? 1);
  if (s.every((v) => v === 0) && e.every((v, i) => v === x.shape[i]) && st.every((v) => v === 1)) {
    return x;
  }
  return bind("slice", [x], { starts: s, ends: e, strides: st });
}

/**
 * Slice of one axis.
 *
 * @example
 * ```ts
 * sliceAxis(x, -1, 0, 2); // first two columns
 * ```
 */
export function sliceAxis(x: Tensor, axis: number, start: number, end: number, step = 1): Tensor {
  const a = normAxis(axis, x.rank, "sliceAxis");
  const s = x.shape.map(() => 0);
  const e = [...x.shape];
  const st = x.shape.map(() => 1);
  s[a] = start;
  e[a] = end;
  st[a] = step;
  return slice(x, s, e, st);
}

/**
 * Pads each axis with `[lo, hi]` entries of a constant.
 *
 * @example
 * ```ts
 * pad(x, [[0, 0], [1, 1]]);
 * ```
 */
export function pad(x: Tensor, widths: readonly (readonly [number, number])[], value = 0): Tensor {
  checkTensor(x, "pad");
  if (widths.length !== x.rank) {
    throw new RangeError(
      `pad: ${widths.length} [lo, hi] pairs given for rank ${x.rank} (shape ${fmtShape(x.shape)})`,
    );
  }
  return bind("pad", [x], {
    lo: widths.map((w) => w[0]),
    hi: widths.map((w) => w[1]),
    interior: widths.map(() => 0),
    value,
  });
}

/**
 * Concatenates along an axis.
 *
 * @example
 * ```ts
 * concat([a, b], -1);
 * ```
 */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(xs) || xs.length === 0) {
    throw new RangeError("concat: needs at least one tensor");
  }
  xs.forEach((x) => checkTensor(x, "concat"));
  if (xs.length === 1) return xs[0];
  return bind("concat", xs, { axis: normAxis(axis, xs[0].rank, "concat") });
}

/**
 * Stacks along a new axis.
 *
 * @example
 * ```ts
 * stack([a, b], 0);
 * ```
 */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new RangeError("stack: needs at least one tensor");
  return concat(xs.map((x) => expandDims(x, axis)), axis < 0 ? axis : axis);
}

/**
 * Reverses the order along axes.
 *
 * @example
 * ```ts
 * flip(x, [-1]);
 * ```
 */
export function flip(x: Tensor, axes: readonly number[]): Tensor {
  return bind("rev", [checkTensor(x, "flip")], { axes: normAxes(axes, x.rank, "flip") });
}

/**
 * Takes entries along an axis by int32 indices (NumPy `take`): the axis is replaced by the
 * index shape.
 *
 * @example
 * ```ts
 * take(table, tensor([2, 0], { dtype: "int32" }), 0);
 * ```
 */
export function take(x: Tensor, indices: Tensor, axis = 0): Tensor {
  checkTensor(x, "take");
  checkTensor(indices, "take");
  return bind("gather", [x, indices], { axis: normAxis(axis, x.rank, "take") });
}

/**
 * Adds `updates` into a zero tensor of size `size` along `axis` at int32 indices (the transpose
 * of `take`); repeated indices accumulate.
 *
 * @example
 * ```ts
 * scatterAdd(ones([3]), tensor([0, 0, 2], { dtype: "int32" }), 0, 4); // [2, 0, 1, 0]
 * ```
 */
export function scatterAdd(updates: Tensor, indices: Tensor, axis: number, size: number): Tensor {
  checkTensor(updates, "scatterAdd");
  checkTensor(indices, "scatterAdd");
  const a = normAxis(axis, updates.rank - indices.rank + 1, "scatterAdd");
  return bind("scatter_add", [updates, indices], { axis: a, size });
}
