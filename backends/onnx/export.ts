/**
 * `exportOnnx`: any function of tensors (a one-step posterior sampler, a reward, a whole
 * training step) written as a standalone .onnx file that runs wherever ONNX Runtime runs.
 * Tensors the function closes over (parameters) become initializers. With `dynamicBatch`, the
 * leading axis of the batched inputs is left free.
 *
 * @module
 */

import {
  checkOptions,
  flatten,
  type HostArray,
  makeGraph,
  type Tensor,
  type Tree,
  unflatten,
  writeFileAtomic,
  zeros,
} from "@mfm/tensor";
import { lowerToOnnx } from "./lower.ts";
import {
  type DimProto,
  encodeModel,
  type ModelProto,
  type NodeProto,
  ONNX_DTYPE,
  type TensorProto,
} from "./proto.ts";

/** Options of `exportOnnx`. */
export interface ExportOptions {
  /** Names of the (flattened) inputs; default input0, input1, …. */
  inputNames?: readonly string[];
  /** Names of the (flattened) outputs; default output0, output1, …. */
  outputNames?: readonly string[];
  /** Graph name. */
  name?: string;
  /** Documentation stored in the model. */
  docString?: string;
  /**
   * Leave the batch size free: inputs whose leading axis has the first input's size are
   * batched. Shapes that depend on it linearly (B, 16·B, …) are computed in the graph; a
   * constant that depends on it otherwise (a mean over the batch) makes the export fail.
   */
  dynamicBatch?: boolean;
}

/** What `exportOnnx` wrote. */
export interface ExportResult {
  /** The model bytes (also written to the path). */
  readonly bytes: Uint8Array;
  /** Input names with shapes (a string names a free axis) and dtypes. */
  readonly inputs: readonly { name: string; shape: readonly (number | string)[]; dtype: string }[];
  /** Output names with shapes and dtypes. */
  readonly outputs: readonly { name: string; shape: readonly (number | string)[]; dtype: string }[];
}

function uniqueNames(
  names: readonly string[] | undefined,
  n: number,
  prefix: string,
  what: string,
): string[] {
  const out = names ? [...names] : Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  if (out.length !== n) {
    throw new RangeError(`exportOnnx: ${out.length} ${what} names for ${n} ${what}s`);
  }
  if (new Set(out).size !== n) {
    throw new RangeError(`exportOnnx: ${what} names repeat: ${out.join(", ")}`);
  }
  return out;
}

async function lowerTraced<A extends Tree[]>(
  fn: (...args: A) => Tree,
  args: A,
  opts: ExportOptions,
): Promise<{ model: ModelProto; inputNames: string[]; outputNames: string[] }> {
  const graph = makeGraph(fn, ...args);
  if (flatten(args as Tree).leaves.length !== graph.inputs.length) {
    throw new Error("exportOnnx: the function closed over a traced tensor; export it at top level");
  }
  const consts = await Promise.all(graph.consts.map(async (c) => {
    const value: HostArray = {
      shape: c.value.shape,
      dtype: c.value.dtype,
      data: await c.value.data(),
    };
    return { v: c.v, value };
  }));
  const inputNames = uniqueNames(opts.inputNames, graph.inputs.length, "input", "input");
  const outputNames = uniqueNames(opts.outputNames, graph.outputs.length, "output", "output");
  const model = lowerToOnnx({ ...graph, consts }, {
    // a file for other runtimes and readers: convs stay Conv (window products are a speed choice)
    convWindows: false,
    name: opts.name,
    docString: opts.docString,
    inputNames,
    outputNames,
  });
  return { model, inputNames, outputNames };
}

const int64s = (t: TensorProto) => Array.from(new BigInt64Array(t.rawData!.slice().buffer), Number);

/**
 * Makes the batch axis of `m1` (traced at batch b1) free by comparing it with the same
 * function traced at b2: int64 shape constants whose entries move as a·B + c are rebuilt in
 * the graph from the batch size of `batchInput`.
 */
function makeBatchDynamic(
  m1: ModelProto,
  m2: ModelProto,
  b1: number,
  b2: number,
  batchInput: string,
): ModelProto {
  const g1 = m1.graph;
  const g2 = m2.graph;
  const same = g1.node.length === g2.node.length &&
    g1.node.every((n, i) => n.opType === g2.node[i].opType) &&
    (g1.initializer ?? []).length === (g2.initializer ?? []).length;
  const fail = (why: string): never => {
    throw new Error(
      `exportOnnx: cannot free the batch size: ${why}; export with a fixed batch instead`,
    );
  };
  if (!same) fail("the traced graph changes structure with the batch size");
  g1.node.forEach((n, i) => {
    if (JSON.stringify(n.attribute ?? []) !== JSON.stringify(g2.node[i].attribute ?? [])) {
      fail(`node ${n.name} (${n.opType}) has attributes that depend on it`);
    }
  });
  const prelude: NodeProto[] = [];
  const extra: TensorProto[] = [];
  const i64 = (name: string, values: number[]): string => {
    extra.push({
      name,
      dims: [values.length],
      dataType: ONNX_DTYPE.INT64,
      rawData: new Uint8Array(new BigInt64Array(values.map(BigInt)).buffer),
    });
    return name;
  };
  const batch = "batch_size__";
  prelude.push(
    { opType: "Shape", input: [batchInput], output: ["batch_shape__"], name: "batch_shape__" },
    {
      opType: "Gather",
      input: ["batch_shape__", i64("batch_idx__", [0])],
      output: [batch],
      name: "batch_gather__",
      attribute: [{ name: "axis", type: 2, i: 0 }],
    },
  );
  const initializer = (g1.initializer ?? []).filter((t1, k) => {
    const t2 = g2.initializer![k];
    const equal = JSON.stringify(t1.dims) === JSON.stringify(t2.dims) &&
      (t1.rawData ?? []).length === (t2.rawData ?? []).length && (t1.rawData ?? []).every((b, j) =>
        b === t2.rawData![j]
      );
    if (equal) return true;
    if (t1.dataType !== ONNX_DTYPE.INT64 || JSON.stringify(t1.dims) !== JSON.stringify(t2.dims)) {
      fail(
        `constant ${t1.name} (shape [${t1.dims}]) depends on it (a reduction over the batch, or a small constant shaped by it: trace with a batch above 64)`,
      );
    }
    const v1 = int64s(t1);
    const v2 = int64s(t2);
    const parts: string[] = v1.map((x, j) => {
      const a = (v2[j] - x) / (b2 - b1);
      const c = x - a * b1;
      if (!Number.isInteger(a)) fail(`shape constant ${t1.name} is not a linear function of it`);
      if (a === 0) return i64(`${t1.name}_${j}__`, [x]);
      const scaled = a === 1 ? batch : pushNode("Mul", [batch, i64(`${t1.name}_a${j}__`, [a])]);
      return c === 0 ? scaled : pushNode("Add", [scaled, i64(`${t1.name}_c${j}__`, [c])]);
    });
    prelude.push({
      opType: "Concat",
      input: parts,
      output: [t1.name!],
      name: `${t1.name}_dyn__`,
      attribute: [{ name: "axis", type: 2, i: 0 }],
    });
    return false;
  });
  function pushNode(op: string, input: string[]): string {
    const out = `dyn${prelude.length}__`;
    prelude.push({ opType: op, input, output: [out], name: out });
    return out;
  }
  const dims = (d1: DimProto[], d2: DimProto[]): DimProto[] =>
    d1.map((d, j) => {
      if (d.dimValue === d2[j].dimValue) return d;
      const a = (Number(d2[j].dimValue) - Number(d.dimValue)) / (b2 - b1);
      const c = Number(d.dimValue) - a * b1;
      return { dimParam: `${a === 1 ? "" : `${a}*`}batch${c ? `+${c}` : ""}` };
    });
  const io = (v1: typeof g1.input, v2: typeof g1.input) =>
    v1.map((v, i) => ({
      ...v,
      type: {
        tensorType: {
          ...v.type!.tensorType!,
          shape: {
            dim: dims(v.type!.tensorType!.shape!.dim!, v2[i].type!.tensorType!.shape!.dim!),
          },
        },
      },
    }));
  return {
    ...m1,
    graph: {
      ...g1,
      node: [...prelude, ...g1.node],
      initializer: [...initializer, ...extra],
      input: io(g1.input, g2.input),
      output: io(g1.output, g2.output),
    },
  };
}

/**
 * Traces `fn` on `exampleInputs` and writes it as an ONNX model (atomically).
 *
 * @example
 * ```ts
 * await exportOnnx((x: Tensor) => mlp(params, x), [normal(key(0), [16, 2])], "model.onnx", { dynamicBatch: true });
 * ```
 */
export async function exportOnnx<A extends Tree[]>(
  fn: (...args: A) => Tree,
  exampleInputs: A,
  path: string,
  opts: ExportOptions = {},
): Promise<ExportResult> {
  checkOptions(
    opts,
    ["inputNames", "outputNames", "name", "docString", "dynamicBatch"],
    "exportOnnx",
  );
  if (!Array.isArray(exampleInputs)) {
    throw new TypeError("exportOnnx: exampleInputs must be an array of arguments");
  }
  const first = await lowerTraced(fn, exampleInputs, opts);
  let model = first.model;
  if (opts.dynamicBatch) {
    const { leaves, def } = flatten(exampleInputs as Tree);
    const b1 = leaves[0]?.shape[0];
    if (b1 === undefined) {
      throw new Error("exportOnnx: dynamicBatch needs a first input with a leading axis");
    }
    const b2 = b1 + 1;
    const batched = leaves.map((t) => t.rank > 0 && t.shape[0] === b1);
    const bigger = leaves.map((
      t: Tensor,
      i,
    ) => (batched[i] ? zeros([b2, ...t.shape.slice(1)], t.dtype) : t));
    const second = await lowerTraced(fn, unflatten<A>(def, bigger), opts);
    model = makeBatchDynamic(first.model, second.model, b1, b2, first.inputNames[0]);
  }
  const bytes = encodeModel(model);
  await writeFileAtomic(path, bytes);
  const info = (vs: typeof model.graph.input) =>
    vs.map((v) => ({
      name: v.name,
      shape: v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam ?? Number(d.dimValue)),
      dtype:
        { 1: "float32", 11: "float64", 6: "int32", 9: "bool" }[v.type!.tensorType!.elemType!] ??
          "?",
    }));
  return { bytes, inputs: info(model.graph.input), outputs: info(model.graph.output) };
}
