/**
 * General processes (MATH-core §8): extended MFMs conditioned on observations and a prediction
 * time, and the Ornstein–Uhlenbeck process with exact conditionals.
 *
 * @example
 * ```ts
 * import { OrnsteinUhlenbeck, ouProblem, trainContextMfm } from "@mfm/processes";
 * ```
 *
 * @module
 */

export * from "./ou.ts";
export * from "./context_mfm.ts";
