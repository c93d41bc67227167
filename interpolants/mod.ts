/**
 * Interpolants: the `Interpolant` interface, linear / trigonometric / VP schedules, drift ⇄
 * denoiser ⇄ score conversions, the posterior-preserving SDE diffusion and reparametrisation
 * between paths.
 *
 * @example
 * ```ts
 * import { interpolate, linearInterpolant } from "@mfm/interpolants";
 * const { xt, velocity } = interpolate(linearInterpolant, t, x0, x1);
 * ```
 *
 * @module
 */

export * from "./interpolant.ts";
export * from "./convert.ts";
