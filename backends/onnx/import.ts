/**
 * `importOnnx`: an .onnx model becomes a function of tensors built from mfm ops, so it can be
 * jitted, differentiated (w.r.t. its inputs) and run on any backend.
 *
 * @module
 */

import { fmtShape, type Tensor } from "@mfm/tensor";
import { ONNX_OPS, SUPPORTED_ONNX_OPS } from "./import_ops.ts";
import {
  decodeTensor,
  dtypeOfElem,
  type HostValue,
  isHost,
  toTensor,
  type Value,
} from "./import_values.ts";
import { decodeModel, type ModelProto, type ValueInfoProto } from "./proto.ts";

/** A graph input or output of an imported model. */
export interface OnnxValueSpec {
  /** Name in the model. */
  readonly name: string;
  /** Dimensions: sizes, or names of dynamic axes. */
  readonly shape: readonly (number | string)[];
  /** mfm dtype (int64 maps to int32). */
  readonly dtype: string;
}

/** An imported model. */
export interface OnnxModel {
  /** Inputs the caller provides (initializers excluded). */
  readonly inputs: readonly OnnxValueSpec[];
  /** Outputs, in order. */
  readonly outputs: readonly OnnxValueSpec[];
  /** The default-domain opset. */
  readonly opset: number;
  /** Evaluates the model on tensors (traceable: use under jit, grad, jvp). */
  call(...inputs: Tensor[]): Tensor[];
  /** The same by input and output names. */
  callNamed(inputs: Record<string, Tensor>): Record<string, Tensor>;
}

function spec(v: ValueInfoProto, where: string): OnnxValueSpec {
  const t = v.type?.tensorType;
  if (!t) throw new Error(`${where}: input/output "${v.name}" is not a tensor`);
  return {
    name: v.name,
    shape: (t.shape?.dim ?? []).map((
      d,
    ) => (d.dimValue !== undefined ? Number(d.dimValue) : d.dimParam ?? "?")),
    dtype: dtypeOfElem(t.elemType ?? 0, `${where}: "${v.name}"`),
  };
}

/**
 * Builds the function of a decoded model.
 *
 * @example
 * ```ts
 * const m = importOnnxModel(decodeModel(bytes));
 * ```
 */
export function importOnnxModel(model: ModelProto, source = "onnx model"): OnnxModel {
  const g = model.graph;
  const opset = Number(
    model.opsetImport.find((o) => !o.domain || o.domain === "ai.onnx")?.version ?? 0,
  );
  if (!opset) throw new Error(`${source}: no default-domain opset_import`);
  const initializers = new Map<string, HostValue>();
  for (const t of g.initializer ?? []) {
    initializers.set(t.name ?? "", decodeTensor(t, `${source}: initializer "${t.name}"`));
  }
  // check every operator up front, so an unsupported model fails at import, not at first call
  g.node.forEach((n, i) => {
    if (n.domain && n.domain !== "ai.onnx") {
      throw new Error(
        `${source}: node "${
          n.name ?? i
        }" uses operator domain "${n.domain}"; only the default ONNX domain is supported`,
      );
    }
    if (!ONNX_OPS[n.opType]) {
      throw new Error(
        `${source}: operator "${n.opType}" (node "${
          n.name || `#${i}`
        }") is not supported; supported: ${SUPPORTED_ONNX_OPS.join(", ")}`,
      );
    }
  });
  const inputs = g.input.filter((v) => !initializers.has(v.name)).map((v) => spec(v, source));
  const outputs = g.output.map((v) => spec(v, source));
  // float initializers become tensors once per backend and are reused across calls
  const call = (...args: Tensor[]): Tensor[] => {
    if (args.length !== inputs.length) {
      throw new RangeError(
        `${source}: expected ${inputs.length} inputs (${
          inputs.map((i) => i.name).join(", ")
        }), got ${args.length}`,
      );
    }
    const env = new Map<string, Value>(initializers);
    inputs.forEach((s, i) => {
      const a = args[i];
      const fixed = s.shape.every((d) => typeof d === "number");
      const okShape = a.rank === s.shape.length &&
        s.shape.every((d, j) => typeof d !== "number" || d === a.shape[j]);
      if (!okShape || a.dtype !== s.dtype) {
        throw new TypeError(
          `${source}: input "${s.name}" expects ${s.dtype}[${s.shape.join(",")}], got ${a.dtype}${
            fmtShape(a.shape)
          }` +
            (fixed ? "" : " (named axes may take any size)"),
        );
      }
      env.set(s.name, a);
    });
    g.node.forEach((n, i) => {
      const where = `${source}: node "${n.name || `#${i}`}" (${n.opType})`;
      const ins = n.input.map((name) => {
        if (name === "") return undefined;
        const v = env.get(name);
        if (v === undefined) {
          throw new Error(`${where}: input "${name}" is not defined before this node`);
        }
        return v;
      });
      let out: Value | Value[];
      try {
        out = ONNX_OPS[n.opType]({ node: n, opset, inputs: ins, where });
      } catch (e) {
        const msg = (e as Error).message;
        throw new Error(msg.startsWith(where) ? msg : `${where}: ${msg}`);
      }
      const outs = Array.isArray(out) ? out : [out];
      n.output.forEach((name, j) => {
        if (name !== "" && outs[j] !== undefined) env.set(name, outs[j]);
      });
    });
    return outputs.map((o) => {
      const v = env.get(o.name);
      if (v === undefined) throw new Error(`${source}: output "${o.name}" is never computed`);
      return isHost(v) ? toTensor(v, undefined, source) : v;
    });
  };
  return {
    inputs,
    outputs,
    opset,
    call,
    callNamed(named) {
      const missing = inputs.filter((i) => !(i.name in named)).map((i) => i.name);
      if (missing.length > 0) throw new Error(`${source}: missing inputs ${missing.join(", ")}`);
      const res = call(...inputs.map((i) => named[i.name]));
      return Object.fromEntries(outputs.map((o, i) => [o.name, res[i]]));
    },
  };
}

/**
 * Reads an .onnx file (or bytes) into a function of tensors.
 *
 * @example
 * ```ts
 * const reward = await importOnnx("classifier.onnx");
 * const [logits] = reward.call(images);
 * const g = grad((x: Tensor) => reward.call(x)[0].sum())(images);
 * ```
 */
export async function importOnnx(source: string | Uint8Array): Promise<OnnxModel> {
  const name = typeof source === "string" ? source : "onnx model";
  const bytes = typeof source === "string" ? await Deno.readFile(source) : source;
  return importOnnxModel(decodeModel(bytes, name), name);
}
