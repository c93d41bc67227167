/**
 * Steering: value-gradient estimators (MFM-GF, MFM-G, DPS), steered ODE/SDE samplers, TDS and
 * Best-of-N, with NFE accounting.
 *
 * @example
 * ```ts
 * import { mfmDraws, mfmG, steeredOde } from "@mfm/steering";
 * ```
 *
 * @module
 */

export * from "./estimators.ts";
export * from "./samplers.ts";
