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
import { broadcastShapes, fmtShape } from "./shape.ts";
import { Tensor, type TensorLike } from "./tensor.ts";
import { bind } from "./trace.ts";
import { axesOf, checkTensor } from "./ops_util.ts";
import { broadcastTo, reshape, squeeze } from "./ops_movement.ts";

export * from "./ops_movement.ts";

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
