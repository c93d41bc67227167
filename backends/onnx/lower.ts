/**
 * Lowering: an IR graph becomes one ONNX model (opset 17), one rule per primitive. A pure
 * function from graph to bytes; nothing here touches a device.
 *
 * @module
 */

import type { DType, Eqn, Graph, HostArray, Prim, PrimParams, Var } from "@mfm/tensor";
import { broadcastShapes, sizeOf } from "@mfm/tensor";
import { asConvTranspose } from "./conv_transpose.ts";
import { convAsWindows, useConvWindows } from "./conv_windows.ts";
import { Emitter, int, ints, onnxType, str } from "./emitter.ts";
import { type DimProto, encodeModel, type ModelProto, type ValueInfoProto } from "./proto.ts";

export { Emitter, onnxType };

/** The ONNX opset mfm writes. */
export const OPSET = 17;
/** The ONNX IR version mfm writes. */
export const IR_VERSION = 8;

/**
 * How one primitive becomes ONNX nodes: given the emitter, the input value names and the
 * equation, emit nodes and return the output's value name.
 */
export type LoweringRule<P extends Prim> = (e: Emitter, ins: string[], eqn: Eqn<P>) => string;

const UNARY: Record<string, string> = {
  neg: "Neg",
  exp: "Exp",
  log: "Log",
  sin: "Sin",
  cos: "Cos",
  tanh: "Tanh",
  sqrt: "Sqrt",
  erf: "Erf",
  logistic: "Sigmoid",
  add: "Add",
  sub: "Sub",
  mul: "Mul",
  div: "Div",
  max: "Max",
  min: "Min",
  pow: "Pow",
  select: "Where",
  dot: "MatMul",
  stop_gradient: "Identity",
};

/** Largest innermost-axis repeat that `broadcast` lowers as a Concat of copies. */
const INNER_CONCAT_MAX = 8;

const plain = <P extends Prim>(prim: P): LoweringRule<P> => (e, ins) => e.node(UNARY[prim], ins);

/** Reverses `axes` of `x` (shape `shape`): a Slice with step −1. */
function flip(e: Emitter, x: string, shape: readonly number[], axes: readonly number[]): string {
  return e.node("Slice", [
    x,
    e.ints(axes.map(() => -1)),
    e.ints(axes.map((a) => -(shape[a] + 1))),
    e.ints(axes),
    e.ints(axes.map(() => -1)),
  ]);
}

/** Pads with `lo`/`hi` (≥ 0) and `interior` entries of `value`, as ONNX Pad plus reshapes. */
function padGeneral(
  e: Emitter,
  x: string,
  shape: readonly number[],
  dtype: DType,
  lo: readonly number[],
  hi: readonly number[],
  interior: readonly number[],
  value: number,
): string {
  let cur = x;
  let curShape = [...shape];
  interior.forEach((k, axis) => {
    if (k === 0 || curShape[axis] === 0) return;
    // [.., n, ..] → [.., n, 1, ..] → pad the new axis by k → [.., n·(k+1), ..] → drop the last k
    const n = curShape[axis];
    const withAxis = [...curShape.slice(0, axis + 1), 1, ...curShape.slice(axis + 1)];
    const r = e.node("Reshape", [cur, e.ints(withAxis)]);
    const pads = new Array<number>(2 * withAxis.length).fill(0);
    pads[withAxis.length + axis + 1] = k;
    const p = e.node("Pad", [r, e.ints(pads), e.scalar(value, dtype)], [str("mode", "constant")]);
    const merged = [...curShape.slice(0, axis), n * (k + 1), ...curShape.slice(axis + 1)];
    const m = e.node("Reshape", [p, e.ints(merged)]);
    const len = n + (n - 1) * k;
    cur = e.node("Slice", [m, e.ints([0]), e.ints([len]), e.ints([axis])]);
    curShape = [...curShape.slice(0, axis), len, ...curShape.slice(axis + 1)];
  });
  if (lo.every((v) => v === 0) && hi.every((v) => v === 0)) {
    return cur === x ? e.node("Identity", [x]) : cur;
  }
  return e.node("Pad", [cur, e.ints([...lo, ...hi]), e.scalar(value, dtype)], [
    str("mode", "constant"),
  ]);
}

const COMPARE: Record<PrimParams["compare"]["op"], string> = {
  lt: "Less",
  le: "LessOrEqual",
  gt: "Greater",
  ge: "GreaterOrEqual",
  eq: "Equal",
  ne: "Equal",
};

/** One lowering rule per primitive; the mapped type makes a missing one a type error. */
export const LOWERING: { [P in Prim]: LoweringRule<P> } = {
  neg: plain("neg"),
  exp: plain("exp"),
  log: plain("log"),
  sin: plain("sin"),
  cos: plain("cos"),
  tanh: plain("tanh"),
  sqrt: plain("sqrt"),
  erf: plain("erf"),
  logistic: plain("logistic"),
  add: plain("add"),
  sub: plain("sub"),
  mul: plain("mul"),
  div: plain("div"),
  max: plain("max"),
  min: plain("min"),
  pow: plain("pow"),
  select: plain("select"),
  dot: plain("dot"),
  stop_gradient: plain("stop_gradient"),
  compare: (e, ins, { params }) => {
    const r = e.node(COMPARE[params.op], ins);
    return params.op === "ne" ? e.node("Not", [r]) : r;
  },
  reduce_sum: (e, ins, { params }) =>
    e.node("ReduceSum", [ins[0], e.ints(params.axes)], [int("keepdims", 0)]),
  reduce_max: (e, ins, { params }) =>
    e.node("ReduceMax", ins, [ints("axes", params.axes), int("keepdims", 0)]),
  reshape: (e, ins, { params }) =>
    e.node("Reshape", [ins[0], e.ints(params.shape)], [int("allowzero", 1)]),
  broadcast: (e, ins, { params, inputs }) => {
    const from = inputs[0].aval.shape;
    const r = params.shape.length;
    const k = params.shape[r - 1];
    // ORT's Expand is slow when the innermost axis repeats a single element (a 2× nearest
    // upsample's [.., w, 1] → [.., w, 2]: ×5 slower than a Concat of copies); concatenate those
    // few copies first, then expand whatever axes remain
    if (from.length === r && from[r - 1] === 1 && k >= 2 && k <= INNER_CONCAT_MAX) {
      const copies = e.node("Concat", new Array<string>(k).fill(ins[0]), [int("axis", r - 1)]);
      if (from.every((d, i) => i === r - 1 || d === params.shape[i])) return copies;
      return e.node("Expand", [copies, e.ints(params.shape)]);
    }
    return e.node("Expand", [ins[0], e.ints(params.shape)]);
  },
  transpose: (e, ins, { params }) => e.node("Transpose", ins, [ints("perm", params.perm)]),
  slice: (e, ins, { params }) =>
    e.node("Slice", [
      ins[0],
      e.ints(params.starts),
      e.ints(params.ends),
      e.ints(params.starts.map((_, i) => i)),
      e.ints(params.strides),
    ]),
  pad: (e, ins, { params, inputs }) =>
    padGeneral(
      e,
      ins[0],
      inputs[0].aval.shape,
      inputs[0].aval.dtype,
      params.lo,
      params.hi,
      params.interior,
      params.value,
    ),
  concat: (e, ins, { params }) => e.node("Concat", ins, [int("axis", params.axis)]),
  rev: (e, ins, { params, inputs }) =>
    params.axes.length === 0
      ? e.node("Identity", ins)
      : flip(e, ins[0], inputs[0].aval.shape, params.axes),
  gather: (e, ins, { params }) => e.node("Gather", ins, [int("axis", params.axis)]),
  scatter_add: (e, ins, { params, inputs, out }) => {
    // merge the index axes of the updates, then ScatterElements(add) into zeros
    const u = inputs[0].aval;
    const k = inputs[1].aval.shape.length;
    const pre = u.shape.slice(0, params.axis);
    const post = u.shape.slice(params.axis + k);
    const m = sizeOf(inputs[1].aval.shape);
    const flatShape = [...pre, m, ...post];
    const upd = e.node("Reshape", [ins[0], e.ints(flatShape)]);
    const idx = e.node("Reshape", [ins[1], e.ints([...pre.map(() => 1), m, ...post.map(() => 1)])]);
    const idxFull = e.node("Expand", [idx, e.ints(flatShape)]);
    const zeros = e.node("Expand", [e.scalar(0, u.dtype), e.ints(out.aval.shape)]);
    return e.node("ScatterElements", [zeros, idxFull, upd], [
      int("axis", params.axis),
      str("reduction", "add"),
    ]);
  },
  conv: (e, ins, { params, inputs, out }) => {
    const [x, w] = ins;
    const xs = inputs[0].aval.shape;
    const transposed = e.convTranspose && asConvTranspose(params, inputs[1].aval.shape);
    if (transposed) {
      // conv's input cotangent (input dilation = the forward stride): ConvTranspose does the same
      // sums without multiplying the inserted zeros (s² less work for a stride-s convolution)
      const [o, i, kh, kw] = inputs[1].aval.shape;
      const wt = flip(e, e.node("Transpose", [w], [ints("perm", [1, 0, 2, 3])]), [i, o, kh, kw], [
        2,
        3,
      ]);
      return e.node("ConvTranspose", [x, wt], [
        ints("strides", params.lhsDilation),
        ints("dilations", params.rhsDilation),
        ints("pads", transposed.pads),
        ints("output_padding", transposed.outputPadding),
      ]);
    }
    let cur = x;
    let curShape = [...xs];
    if (params.lhsDilation.some((d) => d !== 1)) {
      // input dilation is interior zero-padding of the spatial axes
      const interior = [0, 0, params.lhsDilation[0] - 1, params.lhsDilation[1] - 1];
      cur = padGeneral(
        e,
        cur,
        curShape,
        inputs[0].aval.dtype,
        [0, 0, 0, 0],
        [0, 0, 0, 0],
        interior,
        0,
      );
      curShape = curShape.map((d, i) => (i < 2 || d === 0 ? d : d + (d - 1) * interior[i]));
    }
    const pads = [
      params.padding[0][0],
      params.padding[1][0],
      params.padding[0][1],
      params.padding[1][1],
    ];
    if (pads.some((p) => p < 0)) {
      // negative padding crops: slice it off, keep the positive part for Conv
      const starts = [Math.max(0, -pads[0]), Math.max(0, -pads[1])];
      const ends = [curShape[2] - Math.max(0, -pads[2]), curShape[3] - Math.max(0, -pads[3])];
      cur = e.node("Slice", [cur, e.ints(starts), e.ints(ends), e.ints([2, 3])]);
    }
    const [n, o, ho, wo] = out.aval.shape;
    const ws = inputs[1].aval.shape;
    if (e.convWindows && useConvWindows(params, [ho, wo], ws)) {
      return convAsWindows(e, cur, w, params, pads, { n, o, ho, wo, ws });
    }
    return e.node("Conv", [cur, w], [
      ints("pads", pads.map((p) => Math.max(0, p))),
      ints("strides", params.strides),
      ints("dilations", params.rhsDilation),
    ]);
  },
  cast: (e, ins, { params }) => e.node("Cast", ins, [int("to", onnxType(params.dtype))]),
};

/** Options of `lowerToOnnx`. */
export interface LowerOptions {
  /** Graph name; default "mfm". */
  name?: string;
  /** Names of the graph inputs; default in0, in1, …. */
  inputNames?: readonly string[];
  /** Names of the graph outputs; default out0, out1, …. */
  outputNames?: readonly string[];
  /** Symbolic names for the leading axis of inputs and outputs (see exportOnnx). */
  batchParam?: string;
  /** Batch size the graph was traced with, used with `batchParam`. */
  batchSize?: number;
  /** Documentation string. */
  docString?: string;
  /**
   * Lower input-dilated convolutions (conv's input cotangent) to ConvTranspose where the padding
   * allows (default true); false keeps zero-interleaving + Conv, for side-by-side benchmarks.
   */
  convTranspose?: boolean;
  /**
   * Lower convolutions with a small output plane and a kernel at least as large (conv's kernel
   * cotangent) to window slices + one Gemm (default true); false keeps ONNX Conv.
   */
  convWindows?: boolean;
}

// ONNX's elementwise operators broadcast by NumPy rules themselves.
const BROADCASTING = new Set<Prim>([
  "add",
  "sub",
  "mul",
  "div",
  "max",
  "min",
  "pow",
  "compare",
  "select",
]);

/**
 * The inputs each equation is lowered with: an elementwise operand made by `broadcast` is
 * replaced by the broadcast's source when ONNX's own broadcasting gives the same output shape,
 * so no Expand materialises the full-size copy (bias adds, scalar constants).
 */
function foldBroadcasts(graph: Graph<HostArray>): Map<Eqn, Var[]> {
  const producer = new Map<Var, Eqn>();
  for (const eqn of graph.eqns) producer.set(eqn.out, eqn);
  const out = new Map<Eqn, Var[]>();
  for (const eqn of graph.eqns) {
    let ins = [...eqn.inputs];
    if (BROADCASTING.has(eqn.prim)) {
      ins.forEach((v, i) => {
        const p = producer.get(v);
        if (p?.prim !== "broadcast") return;
        const candidate = [...ins];
        candidate[i] = p.inputs[0];
        const shape = candidate.reduce<number[]>(
          (acc, c) => broadcastShapes(acc, c.aval.shape),
          [],
        );
        if (
          shape.length === eqn.out.aval.shape.length &&
          shape.every((d, j) => d === eqn.out.aval.shape[j])
        ) {
          ins = candidate;
        }
      });
    }
    out.set(eqn, ins);
  }
  return out;
}

function valueInfo(name: string, v: Var, batch?: { param: string; size: number }): ValueInfoProto {
  const dim: DimProto[] = v.aval.shape.map((d, i) =>
    i === 0 && batch && d === batch.size ? { dimParam: batch.param } : { dimValue: d }
  );
  return { name, type: { tensorType: { elemType: onnxType(v.aval.dtype), shape: { dim } } } };
}

/**
 * Lowers a graph (constants as host arrays) to an ONNX model.
 *
 * @example
 * ```ts
 * const model = lowerToOnnx(graph);
 * ```
 */
export function lowerToOnnx(graph: Graph<HostArray>, opts: LowerOptions = {}): ModelProto {
  const e = new Emitter();
  e.convTranspose = opts.convTranspose ?? true;
  e.convWindows = opts.convWindows ?? true;
  const names = new Map<Var, string>();
  const inputNames = opts.inputNames ?? graph.inputs.map((_, i) => `in${i}`);
  const outputNames = opts.outputNames ?? graph.outputs.map((_, i) => `out${i}`);
  if (inputNames.length !== graph.inputs.length || outputNames.length !== graph.outputs.length) {
    throw new RangeError(
      `lowerToOnnx: ${inputNames.length} input and ${outputNames.length} output names for a graph with ` +
        `${graph.inputs.length} inputs and ${graph.outputs.length} outputs`,
    );
  }
  graph.inputs.forEach((v, i) => names.set(v, inputNames[i]));
  for (const c of graph.consts) names.set(c.v, e.init(c.value));
  const inputsOf = foldBroadcasts(graph);
  const uses = new Map<Var, number>();
  for (const ins of inputsOf.values()) for (const v of ins) uses.set(v, (uses.get(v) ?? 0) + 1);
  for (const v of graph.outputs) uses.set(v, (uses.get(v) ?? 0) + 1);
  for (const eqn of graph.eqns) {
    if (eqn.prim === "broadcast" && !uses.get(eqn.out)) continue; // folded into its consumers
    const rule = LOWERING[eqn.prim] as LoweringRule<Prim>;
    const ins = inputsOf.get(eqn)!;
    names.set(
      eqn.out,
      rule(e, ins.map((v) => names.get(v)!), { ...eqn, inputs: ins } as Eqn<Prim>),
    );
  }
  // every output gets its own node, so outputs that alias inputs, constants or each other work
  graph.outputs.forEach((v, i) => e.node("Identity", [names.get(v)!], [], outputNames[i]));
  const batch = opts.batchParam && opts.batchSize !== undefined
    ? { param: opts.batchParam, size: opts.batchSize }
    : undefined;
  return {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: "", version: OPSET }],
    producerName: "mfm",
    producerVersion: "0.1.0",
    docString: opts.docString,
    graph: {
      name: opts.name ?? "mfm",
      node: e.nodes,
      initializer: e.initializers,
      input: graph.inputs.map((v, i) => valueInfo(inputNames[i], v, batch)),
      output: graph.outputs.map((v, i) => valueInfo(outputNames[i], v, batch)),
    },
  };
}

/**
 * Lowers and encodes a graph to ONNX bytes.
 *
 * @example
 * ```ts
 * await Deno.writeFile("f.onnx", renderOnnx(graph));
 * ```
 */
export function renderOnnx(graph: Graph<HostArray>, opts: LowerOptions = {}): Uint8Array {
  return encodeModel(lowerToOnnx(graph, opts));
}
