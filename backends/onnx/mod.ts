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

import { registerBackend } from "@mfm/tensor";
import { OnnxBackend } from "./backend.ts";

export * from "./backend.ts";
export * from "./lower.ts";
export * from "./proto.ts";
export { type ExecutionProvider, type OrtTensor, ortVersion, type Session } from "./runtime.ts";

registerBackend("onnx", () => new OnnxBackend());
registerBackend("onnx-cuda", () => new OnnxBackend({ executionProvider: "cuda" }));
export * from "./export.ts";
export * from "./import.ts";
export { ONNX_OPS, SUPPORTED_ONNX_OPS } from "./import_ops.ts";
export * from "./import_context.ts";
export * from "./import_values.ts";
