/**
 * The array operations users call: each primitive behind a checked, broadcasting wrapper, plus
 * the small composites everything else is built from (sum/mean over axes, matmul with
 * batching, where, comparisons, slicing helpers).
 *
 * @module
 */

import { allocate, type DType, isFloat } from "./dtype.ts";
import { fromHost } from "./create.ts";
import type { CompareOp, Prim, PrimParams } from "./ir.ts";
import { broadcastShapes, fmtShape, normAxes, normAxis, shapesEqual, sizeOf } from "./shape.ts";
import { Tensor, type TensorLike } from "./tensor.ts";
import { bind } from "./trace.ts";

/**
 * A 0-d constant of `dtype` on the same backend as `like`.
 *
 * @example
 * ```ts
 * const two = constLike(2, x);
 * ```
 */
export function constLike(value: number, like: Tensor, dtype: DType = like.dtype): Tensor {
  const data = allocate(dtype, 1);
  data[0] = value;
  const backend = like.node.kind === "concrete" ? like.node.backend.name : undefined;
  return fromHost({ shape: [], dtype, data }, backend);
}

/**
 * `[0, 1, …, n−1]` as a 1-d constant on the same backend as `like`.
 *
 * @example
 * ```ts
 * iotaLike(4, x).toArray(); // [0, 1, 2, 3]
 * ```
 */
export function iotaLike(n: number, like: Tensor, dtype: DType = "int32"): Tensor {
  const data = allocate(dtype, n);
  for (let i = 0; i < n; i++) data[i] = i;
  const backend = like.node.kind === "concrete" ? like.node.backend.name : undefined;
  return fromHost({ shape: [n], dtype, data }, backend);
}

function asTensor(x: TensorLike, like: Tensor, where: string): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x !== "number") {
    throw new TypeError(`${where}: expected a Tensor or a number, got ${String(x)}`);
  }
  return constLike(x, like);
}

function checkTensor(x: unknown, where: string): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${where}: expected a Tensor, got ${String(x)}`);
  return x;
}

function binary(
  prim: Prim & ("add" | "sub" | "mul" | "div" | "max" | "min" | "pow"),
  a: TensorLike,
  b: TensorLike,
): Tensor {
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) {
    throw new TypeError(`${prim}: at least one operand must be a Tensor, got ${a} and ${b}`);
  }
  const ta = a instanceof Tensor ? a : asTensor(a, b as Tensor, prim);
  const tb = asTensor(b, ta, prim);
  if (ta.dtype !== tb.dtype) {
    throw new TypeError(`${prim}: dtypes differ (${ta.dtype} vs ${tb.dtype}); cast one first`);
  }
  const shape = broadcastShapes(ta.shape, tb.shape, prim);
  return bind(prim, [broadcastTo(ta, shape), broadcastTo(tb, shape)], {});
}

/** a + b (broadcasting; numbers take the tensor's dtype). @example add(x, 1) */
export function add(a: TensorLike, b: TensorLike): Tensor {
  return binary("add", a, b);
}
/** a − b (broadcasting). @example sub(x, y) */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  return binary("sub", a, b);
}
/** a · b (broadcasting). @example mul(x, 2) */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return binary("mul", a, b);
}
/** a / b (broadcasting). @example div(x, 2) */
export function div(a: TensorLike, b: TensorLike): Tensor {
  return binary("div", a, b);
}
/** a ^ b (broadcasting). @example pow(x, 2) */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  return binary("pow", a, b);
}
/** Elementwise max (broadcasting). @example maximum(x, 0) */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return binary("max", a, b);
}
/** Elementwise min (broadcasting). @example minimum(x, 1) */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return binary("min", a, b);
}

function unary(
  prim: "neg" | "exp" | "log" | "sin" | "cos" | "tanh" | "sqrt" | "erf",
  x: Tensor,
): Tensor {
  return bind(prim, [checkTensor(x, prim)], {});
}
/** −x. @example neg(x) */
export function neg(x: Tensor): Tensor {
  return unary("neg", x);
}
/** eˣ. @example exp(x) */
export function exp(x: Tensor): Tensor {
  return unary("exp", x);
}
/** ln x. @example log(x) */
export function log(x: Tensor): Tensor {
  return unary("log", x);
}
/** sin x. @example sin(x) */
export function sin(x: Tensor): Tensor {
  return unary("sin", x);
}
/** cos x. @example cos(x) */
export function cos(x: Tensor): Tensor {
  return unary("cos", x);
}
/** tanh x. @example tanh(x) */
export function tanh(x: Tensor): Tensor {
  return unary("tanh", x);
}
/** √x. @example sqrt(x) */
export function sqrt(x: Tensor): Tensor {
  return unary("sqrt", x);
}
/** The error function. @example erf(x) */
export function erf(x: Tensor): Tensor {
  return unary("erf", x);
}
/** x². @example square(x) */
export function square(x: Tensor): Tensor {
  return mul(x, x);
}
/** 1/x. @example reciprocal(x) */
export function reciprocal(x: Tensor): Tensor {
  return div(constLike(1, x), x);
}
/** 1/√x. @example rsqrt(x) */
export function rsqrt(x: Tensor): Tensor {
  return reciprocal(sqrt(x));
}
/** |x| (derivative ±1, and 0 at 0 by the select). @example abs(x) */
export function abs(x: Tensor): Tensor {
  return where(less(x, 0), neg(x), x);
}
/** The logistic sigmoid 1/(1+e^{−x}). @example sigmoid(x) */
export function sigmoid(x: Tensor): Tensor {
  return bind("logistic", [checkTensor(x, "sigmoid")], {});
}

function compare(op: CompareOp, a: TensorLike, b: TensorLike): Tensor {
  const ta = a instanceof Tensor ? a : asTensor(a, b as Tensor, "compare");
  const tb = asTensor(b, ta, "compare");
  if (ta.dtype !== tb.dtype) {
    throw new TypeError(`compare ${op}: dtypes differ (${ta.dtype} vs ${tb.dtype})`);
  }
  const shape = broadcastShapes(ta.shape, tb.shape, `compare ${op}`);
  return bind("compare", [broadcastTo(ta, shape), broadcastTo(tb, shape)], { op });
}
/** a < b as bool. @example less(x, 0) */
export function less(a: TensorLike, b: TensorLike): Tensor {
  return compare("lt", a, b);
}
/** a ≤ b as bool. @example lessEqual(x, 0) */
export function lessEqual(a: TensorLike, b: TensorLike): Tensor {
  return compare("le", a, b);
}
/** a > b as bool. @example greater(x, 0) */
export function greater(a: TensorLike, b: TensorLike): Tensor {
  return compare("gt", a, b);
}
/** a ≥ b as bool. @example greaterEqual(x, 0) */
export function greaterEqual(a: TensorLike, b: TensorLike): Tensor {
  return compare("ge", a, b);
}
/** a = b as bool. @example equal(x, y) */
export function equal(a: TensorLike, b: TensorLike): Tensor {
  return compare("eq", a, b);
}
/** a ≠ b as bool. @example notEqual(x, y) */
export function notEqual(a: TensorLike, b: TensorLike): Tensor {
  return compare("ne", a, b);
}

/**
 * `cond ? a : b` elementwise, broadcasting all three.
 *
 * @example
 * ```ts
 * const relu = where(greater(x, 0), x, 0);
 * ```
 */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  checkTensor(cond, "where");
  if (cond.dtype !== "bool") {
    throw new TypeError(`where: condition must be bool, got ${cond.dtype}`);
  }
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) {
    throw new TypeError("where: at least one branch must be a Tensor");
  }
  const ta = a instanceof Tensor ? a : asTensor(a, b as Tensor, "where");
  const tb = asTensor(b, ta, "where");
  if (ta.dtype !== tb.dtype) {
    throw new TypeError(`where: branch dtypes differ (${ta.dtype} vs ${tb.dtype})`);
  }
  const shape = broadcastShapes(broadcastShapes(cond.shape, ta.shape, "where"), tb.shape, "where");
  return bind(
    "select",
    [broadcastTo(cond, shape), broadcastTo(ta, shape), broadcastTo(tb, shape)],
    {},
  );
}

function axesOf(x: Tensor, axes: number | readonly number[] | undefined, where: string): number[] {
  if (axes === undefined) return x.shape.map((_, i) => i);
  return normAxes(typeof axes === "number" ? [axes] : axes, x.rank, where);
}

function keep(x: Tensor, r: Tensor, axes: number[], keepDims: boolean): Tensor {
  return keepDims ? reshape(r, x.shape.map((d, i) => (axes.includes(i) ? 1 : d))) : r;
}

/**
 * Sum over axes (all by default).
 *
 * @example
 * ```ts
 * sum(x, 1, true); // keeps axis 1 as size 1
 * ```
 */
export function sum(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const ax = axesOf(checkTensor(x, "sum"), axes, "sum");
  const r = ax.length === 0 ? x : bind("reduce_sum", [x], { axes: ax });
  return keep(x, r, ax, keepDims);
}

/**
 * Mean over axes (all by default).
 *
 * @example
 * ```ts
 * mean(x, -1);
 * ```
 */
export function mean(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const ax = axesOf(checkTensor(x, "mean"), axes, "mean");
  const n = ax.reduce((acc, a) => acc * x.shape[a], 1);
  return div(sum(x, ax, keepDims), n);
}

/**
 * Maximum over axes (all by default).
 *
 * @example
 * ```ts
 * max(x, -1, true);
 * ```
 */
export function max(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const ax = axesOf(checkTensor(x, "max"), axes, "max");
  const r = ax.length === 0 ? x : bind("reduce_max", [x], { axes: ax });
  return keep(x, r, ax, keepDims);
}

/**
 * Minimum over axes (all by default).
 *
 * @example
 * ```ts
 * min(x, 0);
 * ```
 */
export function min(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  return neg(max(neg(x), axes, keepDims));
}

/**
 * Variance over axes (population, divides by n).
 *
 * @example
 * ```ts
 * variance(x, -1, true);
 * ```
 */
export function variance(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const mu = mean(x, axes, true);
  return mean(square(sub(x, mu)), axes, keepDims);
}

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

/**
 * Matrix product with NumPy `matmul` rules: 1-D operands are promoted and the extra axis
 * dropped; batch axes broadcast.
 *
 * @example
 * ```ts
 * matmul(x, w); // [batch, in] @ [in, out]
 * ```
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkTensor(a, "matmul");
  checkTensor(b, "matmul");
  if (a.rank === 0 || b.rank === 0) throw new RangeError("matmul: operands must have rank ≥ 1");
  const a2 = a.rank === 1 ? reshape(a, [1, a.shape[0]]) : a;
  const b2 = b.rank === 1 ? reshape(b, [b.shape[0], 1]) : b;
  const [m, k] = a2.shape.slice(-2);
  const [k2, n] = b2.shape.slice(-2);
  if (k !== k2) {
    throw new RangeError(
      `matmul: inner dimensions differ: ${fmtShape(a.shape)} @ ${
        fmtShape(b.shape)
      } (${k} vs ${k2})`,
    );
  }
  const batch = broadcastShapes(a2.shape.slice(0, -2), b2.shape.slice(0, -2), "matmul batch");
  let out = bind("dot", [broadcastTo(a2, [...batch, m, k]), broadcastTo(b2, [...batch, k, n])], {});
  if (a.rank === 1) out = squeeze(out, -2);
  if (b.rank === 1) out = squeeze(out, -1);
  return out;
}

/**
 * Converts the dtype.
 *
 * @example
 * ```ts
 * cast(mask, "float32");
 * ```
 */
export function cast(x: Tensor, dtype: DType): Tensor {
  checkTensor(x, "cast");
  if (x.dtype === dtype) return x;
  return bind("cast", [x], { dtype });
}

/**
 * Identity whose derivative is zero: the value flows, the gradient does not.
 *
 * @example
 * ```ts
 * const target = stopGradient(teacher(x));
 * ```
 */
export function stopGradient(x: Tensor): Tensor {
  if (!isFloat(checkTensor(x, "stopGradient").dtype)) return x;
  return bind("stop_gradient", [x], {});
}

/**
 * Zeros with the shape, dtype and backend of `x`.
 *
 * @example
 * ```ts
 * zerosLike(x);
 * ```
 */
export function zerosLike(x: Tensor): Tensor {
  return broadcastTo(constLike(0, x), x.shape);
}

/**
 * Ones with the shape, dtype and backend of `x`.
 *
 * @example
 * ```ts
 * onesLike(x);
 * ```
 */
export function onesLike(x: Tensor): Tensor {
  return broadcastTo(constLike(1, x), x.shape);
}

/** Parameters of a primitive, re-exported for rule authors. */
export type { PrimParams };
