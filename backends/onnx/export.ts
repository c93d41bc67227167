/**
 * `exportOnnx`: any function of tensors (a one-step posterior sampler, a reward, a whole
 * training step) written as a standalone .onnx file that runs wherever ONNX Runtime runs.
 * Tensors the function closes over (parameters) become initializers.
 *
 * @module
 */

import {
  checkOptions,
  flatten,
  type HostArray,
  makeGraph,
  type Tree,
  writeFileAtomic,
} from "@mfm/tensor";
import { renderOnnx } from "./lower.ts";

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
}

/** What `exportOnnx` wrote. */
export interface ExportResult {
  /** The model bytes (also written to the path). */
  readonly bytes: Uint8Array;
  /** Input names with shapes and dtypes. */
  readonly inputs: readonly { name: string; shape: readonly number[]; dtype: string }[];
  /** Output names with shapes and dtypes. */
  readonly outputs: readonly { name: string; shape: readonly number[]; dtype: string }[];
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

/**
 * Traces `fn` on `exampleInputs` (shapes are fixed to theirs) and writes it as an ONNX model.
 *
 * @example
 * ```ts
 * await exportOnnx((x: Tensor) => mlp(params, x), [normal(key(0), [16, 2])], "model.onnx");
 * ```
 */
export async function exportOnnx<A extends Tree[]>(
  fn: (...args: A) => Tree,
  exampleInputs: A,
  path: string,
  opts: ExportOptions = {},
): Promise<ExportResult> {
  checkOptions(opts, ["inputNames", "outputNames", "name", "docString"], "exportOnnx");
  if (!Array.isArray(exampleInputs)) {
    throw new TypeError("exportOnnx: exampleInputs must be an array of arguments");
  }
  const graph = makeGraph(fn, ...exampleInputs);
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
  if (flatten(exampleInputs as Tree).leaves.length !== graph.inputs.length) {
    throw new Error("exportOnnx: the function closed over a traced tensor; export it at top level");
  }
  const bytes = renderOnnx({ ...graph, consts }, {
    name: opts.name,
    docString: opts.docString,
    inputNames,
    outputNames,
  });
  await writeFileAtomic(path, bytes);
  const info = (names: string[], vars: typeof graph.inputs) =>
    vars.map((v, i) => ({ name: names[i], shape: v.aval.shape, dtype: v.aval.dtype }));
  return {
    bytes,
    inputs: info(inputNames, graph.inputs),
    outputs: info(outputNames, graph.outputs),
  };
}
