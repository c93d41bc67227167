/**
 * Interpolants x_t = α_t x_0 + β_t x_1 (noise at t = 0, data at t = 1): the `Interpolant`
 * interface and the linear, trigonometric and VP schedules (MATH-core §1.1).
 *
 * @module
 */

import { atan, broadcastTo, constLike, maximum, reshape, type Tensor } from "@mfm/tensor";

/** The coefficients of an interpolant at some times, as a named record. */
export interface Coefficients {
  /** α_t: weight of the noise. */
  readonly alpha: Tensor;
  /** β_t: weight of the data. */
  readonly beta: Tensor;
  /** dα/dt. */
  readonly dAlpha: Tensor;
  /** dβ/dt. */
  readonly dBeta: Tensor;
}

/**
 * A Gaussian interpolant path. Implementations compute in tensor ops, so coefficients can be
 * differentiated (a Mean-Flow loss differentiates through them) and traced into compiled graphs.
 */
export interface Interpolant {
  /** Name (`linear`, `trig`, `vp`). */
  readonly name: string;
  /** α_t, β_t and their derivatives at times `t` (any shape). */
  coefficients(t: Tensor): Coefficients;
  /** The time whose SNR β²/α² equals `lambda` (elementwise; ∞ gives 1, 0 gives 0). */
  snrInv(lambda: Tensor): Tensor;
}

const fill = (v: number, like: Tensor) => broadcastTo(constLike(v, like), like.shape);

/**
 * The linear (rectified-flow) path: α = 1 − t, β = t; SNR⁻¹(λ) = √λ/(1 + √λ).
 *
 * @example
 * ```ts
 * const { alpha, beta } = linearInterpolant.coefficients(tensor([0.25]));
 * ```
 */
export const linearInterpolant: Interpolant = {
  name: "linear",
  coefficients: (t) => ({ alpha: t.neg().add(1), beta: t, dAlpha: fill(-1, t), dBeta: fill(1, t) }),
  // written as 1/(1 + λ^{-1/2}) so that λ = ∞ gives 1 and λ = 0 gives 0
  snrInv: (lambda) => lambda.sqrt().pow(-1).add(1).pow(-1),
};

/**
 * The trigonometric path: α = cos(πt/2), β = sin(πt/2); SNR⁻¹(λ) = (2/π) arctan √λ.
 *
 * @example
 * ```ts
 * trigInterpolant.coefficients(tensor([0.5]));
 * ```
 */
export const trigInterpolant: Interpolant = {
  name: "trig",
  coefficients: (t) => {
    const a = t.mul(Math.PI / 2);
    return {
      alpha: a.cos(),
      beta: a.sin(),
      dAlpha: a.sin().mul(-Math.PI / 2),
      dBeta: a.cos().mul(Math.PI / 2),
    };
  },
  snrInv: (lambda) => atan(lambda.sqrt()).mul(2 / Math.PI),
};

/** Constants of the VP path (SiT form). */
export const VP_BETA_MIN = 0.1;
/** Constants of the VP path (SiT form). */
export const VP_BETA_MAX = 20;

/**
 * The variance-preserving path (SiT form, data at t = 1), τ = 1 − t:
 * β = exp(−¼τ²Δ − ½τβ_min), α = √(1 − β²). Its β_0 ≈ 6.6e-3 ≠ 0, so it only nearly starts at
 * pure noise: do not use it for an MFM's inner path.
 *
 * @example
 * ```ts
 * vpInterpolant.coefficients(tensor([0.5]));
 * ```
 */
export const vpInterpolant: Interpolant = {
  name: "vp",
  coefficients: (t) => {
    const d = VP_BETA_MAX - VP_BETA_MIN;
    const tau = t.neg().add(1);
    const beta = tau.square().mul(-0.25 * d).sub(tau.mul(0.5 * VP_BETA_MIN)).exp();
    const alpha = beta.square().neg().add(1).sqrt();
    const dBeta = beta.mul(tau.mul(0.5 * d).add(0.5 * VP_BETA_MIN));
    return { alpha, beta, dAlpha: beta.mul(dBeta).neg().div(alpha), dBeta };
  },
  snrInv: (lambda) => {
    // ¼Δτ² + ½β_min τ + ½ log(λ/(1+λ)) = 0 for τ ≥ 0, then t = 1 − τ (clamped at 0)
    const d = VP_BETA_MAX - VP_BETA_MIN;
    const c = lambda.div(lambda.add(1)).log().mul(0.5);
    const disc = c.mul(-d).add(VP_BETA_MIN ** 2 / 4).sqrt();
    const tau = disc.sub(VP_BETA_MIN / 2).div(d / 2);
    return maximum(tau.neg().add(1), 0);
  },
};

/** Interpolants by name. */
export const INTERPOLANTS: Record<string, Interpolant> = {
  linear: linearInterpolant,
  trig: trigInterpolant,
  vp: vpInterpolant,
};

/**
 * An interpolant by name; unknown names list the known ones.
 *
 * @example
 * ```ts
 * interpolant("linear");
 * ```
 */
export function interpolant(name: string): Interpolant {
  const p = INTERPOLANTS[name];
  if (!p) {
    throw new RangeError(
      `unknown interpolant "${name}": expected one of ${Object.keys(INTERPOLANTS).join(", ")}`,
    );
  }
  return p;
}

/**
 * Reshapes per-sample coefficients `[B]` to broadcast against states `[B, ...]`.
 *
 * @example
 * ```ts
 * x0.mul(perSample(alpha, x0)); // [B, d]
 * ```
 */
export function perSample(coef: Tensor, like: Tensor): Tensor {
  if (coef.rank === 0 || coef.rank === like.rank) return coef;
  return reshape(coef, [...coef.shape, ...new Array(like.rank - coef.rank).fill(1)]);
}
