/**
 * The `onnx` backend (ONNX Runtime through onnxruntime-node). Importing this module registers
 * `onnx` (CPU execution provider) and `onnx-cuda` (created on first use; fails there with
 * install instructions when the CUDA provider is missing).
 *
 * @example
 * ```ts
 * import "@mfm/backends/onnx";
 * setBackend("onnx");
 * ```
 *
 * @module
 */

import { PLUGIN_API_VERSION, use } from "@mfm/plugins";
import { OnnxBackend } from "./backend.ts";

export * from "./backend.ts";
export * from "./lower.ts";
export * from "./proto.ts";
export { type ExecutionProvider, type OrtTensor, ortVersion, type Session } from "./runtime.ts";

use({
  name: "mfm/onnx",
  apiVersion: PLUGIN_API_VERSION,
  description:
    "ONNX Runtime (CPU execution provider; CUDA as onnx-cuda; onnx-noarena without the memory arena)",
  backends: {
    onnx: () => new OnnxBackend(),
    // many large compiled graphs in one process (steering tables): each session returns its
    // memory after a run instead of keeping its peak
    "onnx-noarena": () => new OnnxBackend({ name: "onnx-noarena", memoryArena: false }),
    "onnx-cuda": () => new OnnxBackend({ executionProvider: "cuda" }),
  },
});
export * from "./export.ts";
export * from "./import.ts";
export { ONNX_OPS, SUPPORTED_ONNX_OPS } from "./import_ops.ts";
export * from "./import_context.ts";
export * from "./import_values.ts";
