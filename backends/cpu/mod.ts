/**
 * The `cpu` reference backend. Importing this module registers it.
 *
 * @example
 * ```ts
 * import "@mfm/backends/cpu";
 * ```
 *
 * @module
 */

export { CpuBackend, CpuBuffer } from "./cpu.ts";
