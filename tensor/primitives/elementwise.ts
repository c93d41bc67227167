/**
 * Rules of the elementwise primitives: unary math, binary arithmetic, compare, select, cast
 * and stop_gradient. Inputs of binary primitives have equal shapes (ops broadcast first).
 *
 * @module
 */

import { allocate, type Aval, type DType, type HostArray, isFloat } from "../dtype.ts";
import type { CompareOp, Prim } from "../ir.ts";
import * as ops from "../ops.ts";
import { fmtShape, shapesEqual } from "../shape.ts";
import type { Tensor } from "../tensor.ts";
import { erf } from "./erf.ts";
import { arity, type PrimRule, type RuleGroup } from "./rule.ts";

/**
 * Sum of two tangents where null means zero.
 *
 * @example
 * ```ts
 * addTangents(null, t); // t
 * ```
 */
export function addTangents(a: Tensor | null, b: Tensor | null): Tensor | null {
  if (a === null) return b;
  if (b === null) return a;
  return ops.add(a, b);
}

function floatUnary(prim: Prim, inputs: readonly Aval[]): Aval {
  arity(prim, inputs, 1);
  if (!isFloat(inputs[0].dtype)) {
    throw new TypeError(`${prim}: expects a float tensor, got ${inputs[0].dtype}`);
  }
  return inputs[0];
}

function sameShapes(prim: Prim, a: Aval, b: Aval): void {
  if (!shapesEqual(a.shape, b.shape)) {
    throw new RangeError(
      `${prim}: operand shapes differ: ${fmtShape(a.shape)} vs ${fmtShape(b.shape)}`,
    );
  }
  if (a.dtype !== b.dtype) {
    throw new TypeError(`${prim}: operand dtypes differ: ${a.dtype} vs ${b.dtype}`);
  }
}

function binaryShape(prim: Prim, inputs: readonly Aval[]): Aval {
  arity(prim, inputs, 2);
  sameShapes(prim, inputs[0], inputs[1]);
  if (inputs[0].dtype === "bool") throw new TypeError(`${prim}: not defined for bool tensors`);
  return inputs[0];
}

function mapUnary(f: (x: number) => number) {
  return (inputs: readonly HostArray[], _p: unknown, out: Aval): HostArray => {
    const x = inputs[0].data;
    const data = allocate(out.dtype, x.length);
    for (let i = 0; i < x.length; i++) data[i] = f(x[i]);
    return { ...out, data };
  };
}

function mapBinary(f: (a: number, b: number) => number, intF?: (a: number, b: number) => number) {
  return (inputs: readonly HostArray[], _p: unknown, out: Aval): HostArray => {
    const a = inputs[0].data;
    const b = inputs[1].data;
    const data = allocate(out.dtype, a.length);
    const g = inputs[0].dtype === "int32" && intF ? intF : f;
    for (let i = 0; i < a.length; i++) data[i] = g(a[i], b[i]);
    return { ...out, data };
  };
}

type Unary = "neg" | "exp" | "log" | "sin" | "cos" | "tanh" | "sqrt" | "erf" | "logistic";

function unaryRule<P extends Unary>(
  prim: P,
  f: (x: number) => number,
  deriv: (x: Tensor, out: Tensor) => Tensor,
  anyDtype = false,
): PrimRule<P> {
  return {
    shape: (inputs, _p) => {
      if (anyDtype) {
        arity(prim, inputs, 1);
        if (inputs[0].dtype === "bool") {
          throw new TypeError(`${prim}: not defined for bool tensors`);
        }
        return inputs[0];
      }
      return floatUnary(prim, inputs);
    },
    eval: mapUnary(f),
    jvp: ({ primals, tangents, out }) =>
      tangents[0] && ops.mul(tangents[0], deriv(primals[0], out)),
    vjp: ({ ct, primals, out }) => [ops.mul(ct, deriv(primals[0], out))],
  };
}

const SQRT_PI_2 = 2 / Math.sqrt(Math.PI);
const COMPARE: Record<CompareOp, (a: number, b: number) => boolean> = {
  lt: (a, b) => a < b,
  le: (a, b) => a <= b,
  gt: (a, b) => a > b,
  ge: (a, b) => a >= b,
  eq: (a, b) => a === b,
  ne: (a, b) => a !== b,
};

// Where a and b tie, max/min split the derivative evenly (as JAX does).
function chooserMask(a: Tensor, b: Tensor, op: "gt" | "lt"): Tensor {
  const wins = ops.cast(op === "gt" ? ops.greater(a, b) : ops.less(a, b), a.dtype);
  const ties = ops.cast(ops.equal(a, b), a.dtype);
  return ops.add(wins, ops.mul(ties, 0.5));
}

function chooser<P extends "max" | "min">(
  op: "gt" | "lt",
  f: (a: number, b: number) => number,
): PrimRule<P> {
  return {
    shape: (inputs) => binaryShape(op === "gt" ? "max" : "min", inputs),
    eval: mapBinary(f),
    jvp: ({ primals: [a, b], tangents: [ta, tb] }) => {
      const m = chooserMask(a, b, op);
      return addTangents(ta && ops.mul(ta, m), tb && ops.mul(tb, ops.sub(1, m)));
    },
    vjp: ({ ct, primals: [a, b], needs }) => {
      const m = chooserMask(a, b, op);
      return [needs[0] ? ops.mul(ct, m) : null, needs[1] ? ops.mul(ct, ops.sub(1, m)) : null];
    },
  };
}

// log(a) where a > 0, else 0: the ∂/∂b of a^b, kept finite where a ≤ 0 (b's derivative
// there is undefined; integer powers of negative bases are common and must not poison it).
function safeLog(a: Tensor): Tensor {
  const pos = ops.greater(a, 0);
  return ops.where(pos, ops.log(ops.where(pos, a, 1)), 0);
}

/** Rules of the elementwise primitives. */
export const ELEMENTWISE_RULES: RuleGroup<
  | Unary
  | "add"
  | "sub"
  | "mul"
  | "div"
  | "max"
  | "min"
  | "pow"
  | "compare"
  | "select"
  | "cast"
  | "stop_gradient"
> = {
  neg: unaryRule("neg", (x) => -x, (x) => ops.constLike(-1, x), true),
  exp: unaryRule("exp", Math.exp, (_x, out) => out),
  log: unaryRule("log", Math.log, (x) => ops.reciprocal(x)),
  sin: unaryRule("sin", Math.sin, (x) => ops.cos(x)),
  cos: unaryRule("cos", Math.cos, (x) => ops.neg(ops.sin(x))),
  tanh: unaryRule("tanh", Math.tanh, (_x, out) => ops.sub(1, ops.square(out))),
  sqrt: unaryRule("sqrt", Math.sqrt, (_x, out) => ops.div(0.5, out)),
  erf: unaryRule("erf", erf, (x) => ops.mul(ops.exp(ops.neg(ops.square(x))), SQRT_PI_2)),
  logistic: unaryRule(
    "logistic",
    (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
    (_x, out) => ops.mul(out, ops.sub(1, out)),
  ),
  add: {
    shape: (inputs) => binaryShape("add", inputs),
    eval: mapBinary((a, b) => a + b),
    jvp: ({ tangents: [ta, tb] }) => addTangents(ta, tb),
    vjp: ({ ct, needs }) => [needs[0] ? ct : null, needs[1] ? ct : null],
  },
  sub: {
    shape: (inputs) => binaryShape("sub", inputs),
    eval: mapBinary((a, b) => a - b),
    jvp: ({ tangents: [ta, tb] }) => addTangents(ta, tb && ops.neg(tb)),
    vjp: ({ ct, needs }) => [needs[0] ? ct : null, needs[1] ? ops.neg(ct) : null],
  },
  mul: {
    shape: (inputs) => binaryShape("mul", inputs),
    eval: mapBinary((a, b) => a * b, (a, b) => Math.imul(a, b)),
    jvp: ({ primals: [a, b], tangents: [ta, tb] }) =>
      addTangents(ta && ops.mul(ta, b), tb && ops.mul(a, tb)),
    vjp: (
      { ct, primals: [a, b], needs },
    ) => [needs[0] ? ops.mul(ct, b) : null, needs[1] ? ops.mul(a, ct) : null],
  },
  div: {
    shape: (inputs) => binaryShape("div", inputs),
    eval: mapBinary((a, b) => a / b, (a, b) => Math.trunc(a / b)),
    jvp: ({ primals: [_a, b], tangents: [ta, tb], out }) => {
      const num = addTangents(ta, tb && ops.neg(ops.mul(out, tb)));
      return num && ops.div(num, b);
    },
    vjp: ({ ct, primals: [_a, b], out, needs }) => {
      const g = ops.div(ct, b);
      return [needs[0] ? g : null, needs[1] ? ops.neg(ops.mul(g, out)) : null];
    },
  },
  max: chooser("gt", Math.max),
  min: chooser("lt", Math.min),
  pow: {
    shape: (inputs) => binaryShape("pow", inputs),
    eval: mapBinary(Math.pow),
    jvp: ({ primals: [a, b], tangents: [ta, tb], out }) =>
      addTangents(
        ta && ops.mul(ta, ops.mul(b, ops.pow(a, ops.sub(b, 1)))),
        tb && ops.mul(tb, ops.mul(out, safeLog(a))),
      ),
    vjp: ({ ct, primals: [a, b], out, needs }) => [
      needs[0] ? ops.mul(ct, ops.mul(b, ops.pow(a, ops.sub(b, 1)))) : null,
      needs[1] ? ops.mul(ct, ops.mul(out, safeLog(a))) : null,
    ],
  },
  compare: {
    shape: (inputs, p) => {
      arity("compare", inputs, 2);
      sameShapes("compare", inputs[0], inputs[1]);
      if (!(p.op in COMPARE)) throw new RangeError(`compare: unknown op "${p.op}"`);
      return { shape: inputs[0].shape, dtype: "bool" };
    },
    eval: (inputs, p, out) => {
      const f = COMPARE[p.op];
      return mapBinary((a, b) => (f(a, b) ? 1 : 0))(inputs, p, out);
    },
    jvp: () => null,
    vjp: () => [null, null],
  },
  select: {
    shape: (inputs) => {
      arity("select", inputs, 3);
      if (inputs[0].dtype !== "bool") {
        throw new TypeError(`select: condition must be bool, got ${inputs[0].dtype}`);
      }
      if (!shapesEqual(inputs[0].shape, inputs[1].shape)) {
        throw new RangeError(
          `select: condition shape ${fmtShape(inputs[0].shape)} differs from ${
            fmtShape(inputs[1].shape)
          }`,
        );
      }
      sameShapes("select", inputs[1], inputs[2]);
      return inputs[1];
    },
    eval: (inputs, _p, out) => {
      const [c, a, b] = inputs.map((h) => h.data);
      const data = allocate(out.dtype, c.length);
      for (let i = 0; i < c.length; i++) data[i] = c[i] ? a[i] : b[i];
      return { ...out, data };
    },
    jvp: ({ primals: [c], tangents: [, ta, tb] }) => {
      if (!ta && !tb) return null;
      const z = ops.zerosLike(ta ?? tb!);
      return ops.where(c, ta ?? z, tb ?? z);
    },
    vjp: ({ ct, primals: [c], needs }) => {
      const z = ops.zerosLike(ct);
      return [null, needs[1] ? ops.where(c, ct, z) : null, needs[2] ? ops.where(c, z, ct) : null];
    },
  },
  cast: {
    shape: (inputs, p) => {
      arity("cast", inputs, 1);
      return { shape: inputs[0].shape, dtype: p.dtype };
    },
    eval: (inputs, p, out) => {
      const x = inputs[0].data;
      const data = allocate(out.dtype, x.length);
      const toInt = p.dtype === "int32" && inputs[0].dtype !== "bool";
      for (let i = 0; i < x.length; i++) {
        data[i] = p.dtype === "bool" ? (x[i] !== 0 ? 1 : 0) : toInt ? Math.trunc(x[i]) : x[i];
      }
      return { ...out, data };
    },
    jvp: ({ primals: [x], tangents: [t], params }) =>
      t && isFloat(x.dtype) && isFloat(params.dtype) ? ops.cast(t, params.dtype) : null,
    vjp: ({ ct, primals: [x], params }) => [
      isFloat(x.dtype) && isFloat(params.dtype) ? ops.cast(ct, x.dtype as DType) : null,
    ],
  },
  stop_gradient: {
    shape: (inputs) => {
      arity("stop_gradient", inputs, 1);
      return inputs[0];
    },
    eval: (inputs) => inputs[0],
    jvp: () => null,
    vjp: () => [null],
  },
};
