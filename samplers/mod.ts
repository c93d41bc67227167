/**
 * Samplers: ODE (Euler, Heun), SDE (Euler–Maruyama), one-step MFM posterior draws, K-step
 * refinement and γ-sampling.
 *
 * @example
 * ```ts
 * import { kStepSample, mfmPosteriorSampler } from "@mfm/samplers";
 * ```
 *
 * @module
 */

export * from "./samplers.ts";
