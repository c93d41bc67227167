/**
 * MFM training objectives: the registry (shared with plugins), the built-in diagonal and
 * consistency objectives, adaptive weighting and time sampling.
 *
 * @example
 * ```ts
 * import { adaptiveLoss, getObjective } from "@mfm/losses";
 * const loss = adaptiveLoss(getObjective("semigroup").residual(batch), { p: 1 });
 * ```
 *
 * @module
 */

export * from "./registry.ts";
export { BUILTIN_OBJECTIVES } from "./objectives.ts";
export * from "./weighting.ts";
export * from "./times.ts";
