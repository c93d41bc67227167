/**
 * mfm's backends. Importing this module registers `cpu` (the reference interpreter, active by
 * default) and `onnx` / `onnx-cuda` (ONNX Runtime).
 *
 * @example
 * ```ts
 * import { setBackend } from "@mfm/tensor";
 * import "@mfm/backends";
 * setBackend("onnx");
 * ```
 *
 * @module
 */

export * from "./cpu/mod.ts";
export * from "./onnx/mod.ts";
