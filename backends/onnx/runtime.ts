/**
 * onnxruntime-node, loaded once: sessions, tensors, and the execution-provider check.
 *
 * Sessions run through the package's native binding, whose `run` is synchronous (the public
 * `InferenceSession.run` only wraps it in a promise). Synchronous runs keep the backend usable
 * like `cpu` (eager ops, `dataSync()`), and save the promise hop on every step.
 *
 * @module
 */

import * as ort from "onnxruntime-node";
import { binding, initOrt } from "onnxruntime-node/dist/binding.js";
import type { DType, HostArray, TypedArray } from "@mfm/tensor";
import { allocate } from "@mfm/tensor";

/** An ONNX Runtime tensor. */
export type OrtTensor = ort.Tensor;

/** Execution providers mfm can ask for. */
export type ExecutionProvider = "cpu" | "cuda";

/** Session settings. */
export interface SessionSettings {
  /** Execution provider; default cpu. */
  executionProvider: ExecutionProvider;
  /** Threads inside one operator; default: the machine's cores. */
  intraOpNumThreads: number;
  /** CUDA device (with the cuda provider). */
  deviceId?: number;
  /** ORT graph optimisation level; default "all". */
  graphOptimizationLevel?: "disabled" | "basic" | "extended" | "all";
  /** Write an ORT profile (JSON) with this file prefix. */
  profileFilePrefix?: string;
  /** ORT's CPU memory arena; default true. */
  memoryArena?: boolean;
}

/** A loaded model. */
export interface Session {
  /** Runs the model synchronously. */
  run(feeds: Record<string, OrtTensor>, outputNames: readonly string[]): OrtTensor[];
  /** Ends profiling, writing the profile file (when profiling was on). */
  endProfiling(): void;
}

/**
 * Loads ONNX bytes into a session.
 *
 * @example
 * ```ts
 * const s = createSession(bytes, { executionProvider: "cpu", intraOpNumThreads: 2 });
 * ```
 */
export function createSession(bytes: Uint8Array, settings: SessionSettings): Session {
  initOrt();
  const native = new binding.InferenceSession();
  const ep = settings.executionProvider === "cuda"
    ? [{ name: "cuda", deviceId: settings.deviceId ?? 0 }]
    : ["cpu"];
  const options: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: settings.intraOpNumThreads,
    interOpNumThreads: 1,
    graphOptimizationLevel: settings.graphOptimizationLevel ?? "all",
    executionProviders: ep,
    enableCpuMemArena: settings.memoryArena ?? true,
    // gradients of sharply peaked rewards underflow into denormals, which slow x86 kernels
    // several-fold; flush them to zero as accelerators do
    extra: { session: { set_denormal_as_zero: "1" } },
  };
  if (settings.profileFilePrefix) {
    options.enableProfiling = true;
    options.profileFilePrefix = settings.profileFilePrefix;
  }
  native.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, options);
  const fetches: Record<string, null> = {};
  return {
    run(feeds, outputNames) {
      for (const n of outputNames) fetches[n] = null;
      const out = native.run(feeds, fetches, {});
      for (const n of outputNames) delete fetches[n];
      return outputNames.map((n) => out[n] as OrtTensor);
    },
    endProfiling: () => native.endProfiling(),
  };
}

const ORT_TYPE: Record<DType, "float32" | "float64" | "int32" | "bool"> = {
  float32: "float32",
  float64: "float64",
  int32: "int32",
  bool: "bool",
};

/**
 * An ORT tensor holding a copy of a host array.
 *
 * @example
 * ```ts
 * const t = toOrt({ shape: [2], dtype: "float32", data: new Float32Array([1, 2]) });
 * ```
 */
export function toOrt(h: HostArray): OrtTensor {
  const data = allocate(h.dtype, h.data.length);
  data.set(h.data);
  return new ort.Tensor(ORT_TYPE[h.dtype], data as Float32Array, [...h.shape]);
}

/**
 * A host copy of an ORT tensor.
 *
 * @example
 * ```ts
 * const h = fromOrt(t, "float32");
 * ```
 */
export function fromOrt(t: OrtTensor, dtype: DType): HostArray {
  const src = t.data as TypedArray;
  const data = allocate(dtype, src.length);
  data.set(src);
  return { shape: [...t.dims], dtype, data };
}

/**
 * The onnxruntime-node version in use.
 *
 * @example
 * ```ts
 * ortVersion(); // "1.30.0"
 * ```
 */
export function ortVersion(): string {
  return ort.env.versions.node ?? "unknown";
}
