/**
 * mfm's backends. Importing this module registers every backend that can run here (`cpu`).
 *
 * @example
 * ```ts
 * import { CpuBackend } from "@mfm/backends";
 * ```
 *
 * @module
 */

export * from "./cpu/mod.ts";
