/**
 * The graph IR: variables, equations (one primitive application each) and graphs, plus a
 * readable text form in the style of a jaxpr.
 *
 * @module
 */

import { type Aval, shortName } from "./dtype.ts";
import type { Shape } from "./shape.ts";

/** Comparison kinds of the `compare` primitive. */
export type CompareOp = "lt" | "le" | "gt" | "ge" | "eq" | "ne";

/** Parameters of a primitive that takes none. */
export type NoParams = Record<string, never>;

/**
 * Parameters of each primitive. The set of keys *is* the closed primitive set: the rule table
 * is a mapped type over it, so adding a primitive without rules is a type error. Binary
 * elementwise primitives take operands of equal shape and dtype (the ops broadcast first).
 */
export interface PrimParams {
  /** −x. */
  neg: NoParams;
  /** eˣ. */
  exp: NoParams;
  /** ln x. */
  log: NoParams;
  /** sin x. */
  sin: NoParams;
  /** cos x. */
  cos: NoParams;
  /** tanh x. */
  tanh: NoParams;
  /** √x. */
  sqrt: NoParams;
  /** The error function. */
  erf: NoParams;
  /** The logistic sigmoid 1/(1 + e^{−x}) (one kernel where backends have one). */
  logistic: NoParams;
  /** a + b. */
  add: NoParams;
  /** a − b. */
  sub: NoParams;
  /** a · b. */
  mul: NoParams;
  /** a / b (truncating for int32). */
  div: NoParams;
  /** max(a, b). */
  max: NoParams;
  /** min(a, b). */
  min: NoParams;
  /** a ^ b. */
  pow: NoParams;
  /** a op b as bool. */
  compare: { readonly op: CompareOp };
  /** cond ? a : b. */
  select: NoParams;
  /** Sum over sorted axes, which are removed. */
  reduce_sum: { readonly axes: readonly number[] };
  /** Maximum over sorted axes, which are removed. */
  reduce_max: { readonly axes: readonly number[] };
  /** Same elements, new shape. */
  reshape: { readonly shape: Shape };
  /** NumPy broadcast to `shape`. */
  broadcast: { readonly shape: Shape };
  /** Axis permutation: output axis i is input axis perm[i]. */
  transpose: { readonly perm: readonly number[] };
  /** Per axis `[start, end)` with a positive stride. */
  slice: {
    readonly starts: readonly number[];
    readonly ends: readonly number[];
    readonly strides: readonly number[];
  };
  /** Per axis `lo` before, `hi` after and `interior` between elements, filled with `value`. */
  pad: {
    readonly lo: readonly number[];
    readonly hi: readonly number[];
    readonly interior: readonly number[];
    readonly value: number;
  };
  /** Join along an axis. */
  concat: { readonly axis: number };
  /** Reverse along axes. */
  rev: { readonly axes: readonly number[] };
  /** Take along an axis by int32 indices (NumPy `take`). */
  gather: { readonly axis: number };
  /** Add into `size` slots along an axis at int32 indices (the transpose of gather). */
  scatter_add: { readonly axis: number; readonly size: number };
  /** Batched matrix product `[...B, m, k] · [...B, k, n]`. */
  dot: NoParams;
  /** 2-D convolution NCHW × OIHW with strides, padding, input and kernel dilation. */
  conv: {
    readonly strides: readonly [number, number];
    readonly padding: readonly [readonly [number, number], readonly [number, number]];
    readonly lhsDilation: readonly [number, number];
    readonly rhsDilation: readonly [number, number];
  };
  /** Convert to a dtype. */
  cast: { readonly dtype: Aval["dtype"] };
  /** Identity with zero derivative. */
  stop_gradient: NoParams;
}

/** Name of a primitive. */
export type Prim = keyof PrimParams;

/** Every primitive name, in the order they are declared. */
export const PRIMS: readonly Prim[] = [
  "neg",
  "exp",
  "log",
  "sin",
  "cos",
  "tanh",
  "sqrt",
  "erf",
  "logistic",
  "add",
  "sub",
  "mul",
  "div",
  "max",
  "min",
  "pow",
  "compare",
  "select",
  "reduce_sum",
  "reduce_max",
  "reshape",
  "broadcast",
  "transpose",
  "slice",
  "pad",
  "concat",
  "rev",
  "gather",
  "scatter_add",
  "dot",
  "conv",
  "cast",
  "stop_gradient",
];

/**
 * A variable of a graph: an id unique within its graph and its abstract value.
 *
 * @example
 * ```ts
 * const v = new Var(0, { shape: [2], dtype: "float32" });
 * ```
 */
export class Var {
  /** A variable with an id and an abstract value. */
  constructor(
    /** Unique within its graph. */
    readonly id: number,
    /** Shape and dtype. */
    readonly aval: Aval,
  ) {}
}

/**
 * One primitive application: `out = prim[params](...inputs)`.
 *
 * @example
 * ```ts
 * const a = new Var(0, { shape: [], dtype: "float32" });
 * const e: Eqn = { prim: "exp", params: {}, inputs: [a], out: new Var(1, a.aval) };
 * ```
 */
export interface Eqn<P extends Prim = Prim> {
  /** The primitive. */
  readonly prim: P;
  /** Its parameters. */
  readonly params: PrimParams[P];
  /** Input variables. */
  readonly inputs: readonly Var[];
  /** The output variable. */
  readonly out: Var;
}

/**
 * A constant of a graph: a variable bound to a concrete value (a tensor the trace closed over,
 * or a number the code used).
 */
export interface GraphConst<V> {
  /** The variable. */
  readonly v: Var;
  /** Its value. */
  readonly value: V;
}

/**
 * A traced function: inputs, constants, equations in order, outputs (which may be inputs or
 * constants themselves). `V` is how constants are held (concrete tensors).
 *
 * @example
 * ```ts
 * // see makeGraph in transforms for how graphs are made
 * ```
 */
export interface Graph<V = unknown> {
  /** Input variables, in call order. */
  readonly inputs: readonly Var[];
  /** Constants bound to values. */
  readonly consts: readonly GraphConst<V>[];
  /** Equations in evaluation order. */
  readonly eqns: readonly Eqn[];
  /** Output variables. */
  readonly outputs: readonly Var[];
}

function fmtAval(a: Aval): string {
  return `${shortName(a.dtype)}[${a.shape.join(",")}]`;
}

function fmtParams(params: object): string {
  const entries = Object.entries(params);
  if (entries.length === 0) return "";
  return `[${entries.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" ")}]`;
}

function varName(i: number): string {
  let s = "";
  let n = i;
  do {
    s = String.fromCharCode(97 + (n % 26)) + s;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return s;
}

/**
 * Renders a graph as readable text: inputs, constants, one line per equation, outputs.
 *
 * @example
 * ```ts
 * console.log(printGraph(g));
 * // { lambda a:f32[3] ; b:f32[3] = exp a ; in (b) }
 * ```
 */
export function printGraph(graph: Graph): string {
  const names = new Map<Var, string>();
  const name = (v: Var) => {
    let n = names.get(v);
    if (n === undefined) {
      n = varName(names.size);
      names.set(v, n);
    }
    return n;
  };
  const lines: string[] = [];
  const ins = graph.inputs.map((v) => `${name(v)}:${fmtAval(v.aval)}`).join(" ");
  const cs = graph.consts.map((c) => `${name(c.v)}:${fmtAval(c.v.aval)}`).join(" ");
  lines.push(`{ lambda ${ins}${cs ? ` ; consts ${cs}` : ""} ;`);
  for (const e of graph.eqns) {
    const lhs = `${name(e.out)}:${fmtAval(e.out.aval)}`;
    lines.push(`    ${lhs} = ${e.prim}${fmtParams(e.params)} ${e.inputs.map(name).join(" ")}`);
  }
  lines.push(`  in (${graph.outputs.map(name).join(", ")}) }`);
  return lines.join("\n");
}
