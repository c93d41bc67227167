/**
 * Test cases for every primitive, shared by the rule checks (`tensor/primitives/rules_test.ts`)
 * and the backend conformance suite (`tests/conformance.ts`).
 *
 * @module
 */

import {
  bind,
  foldIn,
  type Key,
  normal,
  type Prim,
  type PrimParams,
  split,
  type Tensor,
  tensor,
  uniform,
} from "@mfm/tensor";

/** One rule-check case: inputs of a primitive and its parameters. */
export interface Case {
  /** float64 inputs that are differentiated, then the rest (indices, conditions). */
  diff: Tensor[];
  fixed?: Tensor[];
  /** position of each fixed input in the primitive's argument list */
  fixedAt?: number[];
  params: object;
}

const u = (k: Key, shape: number[], low = -1, high = 1) =>
  uniform(k, shape, { dtype: "float64", low, high });
const n = (k: Key, shape: number[]) => normal(k, shape, { dtype: "float64" });
const idx = (values: number[], shape = [values.length]) =>
  tensor(values, { dtype: "int32", shape });

const unary = (low = -1.5, high = 1.5) => (k: Key): Case => ({
  diff: [u(k, [3, 4], low, high)],
  params: {},
});
const binary = (lowA = -1.5, highA = 1.5, lowB = -1.5, highB = 1.5) => (k: Key): Case => {
  const [a, b] = split(k);
  return { diff: [u(a, [2, 3], lowA, highA), u(b, [2, 3], lowB, highB)], params: {} };
};

/**
 * Cases for every primitive, built from a key (float64 inputs in domains where the primitive is
 * smooth). Shared by the rule checks and the backend conformance suite.
 */
export const PRIMITIVE_CASES: Record<Prim, ((k: Key) => Case)[]> = {
  neg: [unary()],
  exp: [unary()],
  log: [unary(0.3, 3)],
  sin: [unary(-3, 3)],
  cos: [unary(-3, 3)],
  tanh: [unary(-2, 2)],
  sqrt: [unary(0.2, 4)],
  erf: [unary(-3.5, 3.5)],
  logistic: [unary(-4, 4)],
  add: [binary()],
  sub: [binary()],
  mul: [binary()],
  div: [binary(-2, 2, 0.5, 2)],
  max: [binary()],
  min: [binary()],
  pow: [binary(0.3, 2, -2, 2)],
  compare: [
    (k) => ({
      diff: [],
      fixed: [u(k, [5]), u(foldIn(k, 1), [5])],
      fixedAt: [0, 1],
      params: { op: "lt" },
    }),
  ],
  select: [(k) => {
    const [a, b] = split(k);
    const cond = tensor([1, 0, 1, 1, 0, 0], { dtype: "bool", shape: [2, 3] });
    return { diff: [u(a, [2, 3]), u(b, [2, 3])], fixed: [cond], fixedAt: [0], params: {} };
  }],
  reduce_sum: [(k) => ({ diff: [n(k, [2, 3, 4])], params: { axes: [0, 2] } })],
  reduce_max: [(k) => ({ diff: [n(k, [3, 5])], params: { axes: [1] } })],
  reshape: [(k) => ({ diff: [n(k, [2, 6])], params: { shape: [3, 2, 2] } })],
  broadcast: [(k) => ({ diff: [n(k, [3, 1])], params: { shape: [2, 3, 4] } })],
  transpose: [(k) => ({ diff: [n(k, [2, 3, 4])], params: { perm: [2, 0, 1] } })],
  slice: [
    (k) => ({ diff: [n(k, [5, 7])], params: { starts: [1, 0], ends: [5, 7], strides: [2, 3] } }),
  ],
  pad: [
    (k) => ({
      diff: [n(k, [2, 3])],
      params: { lo: [1, 0], hi: [0, 2], interior: [1, 2], value: 0.5 },
    }),
  ],
  concat: [(k) => {
    const [a, b] = split(k);
    return { diff: [n(a, [2, 3]), n(b, [2, 1])], params: { axis: 1 } };
  }],
  rev: [(k) => ({ diff: [n(k, [3, 4])], params: { axes: [0, 1] } })],
  gather: [
    (k) => ({
      diff: [n(k, [4, 3])],
      fixed: [idx([2, 0, 2, 3, 1, 1], [2, 3])],
      fixedAt: [1],
      params: { axis: 0 },
    }),
  ],
  scatter_add: [(k) => ({
    diff: [n(k, [3, 2, 2])],
    fixed: [idx([1, 1, 0, 4], [2, 2])],
    fixedAt: [1],
    params: { axis: 1, size: 5 },
  })],
  dot: [(k) => {
    const [a, b] = split(k);
    return { diff: [n(a, [2, 3, 4]), n(b, [2, 4, 5])], params: {} };
  }, (k) => {
    // m and n multiples of 4: the register-blocked WGSL path
    const [a, b] = split(k);
    return { diff: [n(a, [2, 8, 3]), n(b, [2, 3, 12])], params: {} };
  }, (k) => {
    // m, n ≥ 32 and no dimension a tile multiple: the shared-memory tiled WGSL path, edges
    const [a, b] = split(k);
    return { diff: [n(a, [2, 40, 20]), n(b, [2, 20, 36])], params: {} };
  }],
  conv: [
    (k) => {
      const [a, b] = split(k);
      return {
        diff: [n(a, [2, 3, 7, 6]), n(b, [4, 3, 3, 2])],
        params: {
          strides: [2, 1],
          padding: [[1, 1], [0, 1]],
          lhsDilation: [1, 1],
          rhsDilation: [1, 2],
        },
      };
    },
    (k) => {
      const [a, b] = split(k);
      return {
        diff: [n(a, [1, 2, 5, 5]), n(b, [3, 2, 2, 3])],
        params: {
          strides: [1, 2],
          padding: [[2, 0], [1, 2]],
          lhsDilation: [2, 1],
          rhsDilation: [1, 1],
        },
      };
    },
    // input dilation with unit strides: lowered to ONNX as ConvTranspose (one axis needs output
    // padding); the input cotangent of a strided conv has this form
    (k) => {
      const [a, b] = split(k);
      return {
        diff: [n(a, [2, 3, 4, 5]), n(b, [2, 3, 3, 3])],
        params: {
          strides: [1, 1],
          padding: [[1, 3], [0, 2]],
          lhsDilation: [2, 3],
          rhsDilation: [1, 1],
        },
      };
    },
  ],
  cast: [(k) => ({ diff: [n(k, [3])], params: { dtype: "float64" } })],
  stop_gradient: [(k) => ({ diff: [n(k, [3])], params: {} })],
};

/**
 * The primitive as a function of the case's differentiable inputs.
 *
 * @example
 * ```ts
 * const f = caseFn("exp", PRIMITIVE_CASES.exp[0](key(0)));
 * ```
 */
export function caseFn(prim: Prim, c: Case): (...xs: Tensor[]) => Tensor {
  return (...xs: Tensor[]) => {
    const args: Tensor[] = [...xs];
    (c.fixed ?? []).forEach((t, i) => args.splice(c.fixedAt![i], 0, t));
    return bind(prim, args, c.params as PrimParams[typeof prim]);
  };
}
