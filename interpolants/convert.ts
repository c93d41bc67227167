/**
 * What the interpolant ties together (MATH-core §1.3, §1.5, §7.6): drift ⇄ denoiser ⇄ score,
 * the SDE diffusion that keeps the posterior, sampling the path, and moving a state from one
 * interpolant to another.
 *
 * @module
 */

import type { Tensor } from "@mfm/tensor";
import { type Coefficients, type Interpolant, perSample } from "./interpolant.ts";

/** Per-sample coefficients broadcast against states `x` `[B, ...]`. */
function at(c: Coefficients, x: Tensor): Coefficients {
  return {
    alpha: perSample(c.alpha, x),
    beta: perSample(c.beta, x),
    dAlpha: perSample(c.dAlpha, x),
    dBeta: perSample(c.dBeta, x),
  };
}

/**
 * x_t = α_t x_0 + β_t x_1 and its time derivative İ_t = α̇_t x_0 + β̇_t x_1.
 *
 * @example
 * ```ts
 * const { xt, velocity } = interpolate(linearInterpolant, t, x0, x1);
 * ```
 */
export function interpolate(
  p: Interpolant,
  t: Tensor,
  x0: Tensor,
  x1: Tensor,
): { xt: Tensor; velocity: Tensor } {
  const c = at(p.coefficients(t), x0);
  return {
    xt: x0.mul(c.alpha).add(x1.mul(c.beta)),
    velocity: x0.mul(c.dAlpha).add(x1.mul(c.dBeta)),
  };
}

/**
 * Drift from denoiser, (B): b = (α̇/α) x + (β̇ − α̇β/α) D.
 *
 * @example
 * ```ts
 * const b = driftFromDenoiser(linearInterpolant.coefficients(t), x, D);
 * ```
 */
export function driftFromDenoiser(coef: Coefficients, x: Tensor, denoiser: Tensor): Tensor {
  const c = at(coef, x);
  return x.mul(c.dAlpha.div(c.alpha)).add(
    denoiser.mul(c.dBeta.sub(c.dAlpha.mul(c.beta).div(c.alpha))),
  );
}

/**
 * Denoiser from drift, (D): D = (α b − α̇ x)/(α β̇ − α̇ β).
 *
 * @example
 * ```ts
 * const D = denoiserFromDrift(linearInterpolant.coefficients(t), x, b);
 * ```
 */
export function denoiserFromDrift(coef: Coefficients, x: Tensor, drift: Tensor): Tensor {
  const c = at(coef, x);
  return drift.mul(c.alpha).sub(x.mul(c.dAlpha)).div(
    c.alpha.mul(c.dBeta).sub(c.dAlpha.mul(c.beta)),
  );
}

/**
 * Score from denoiser (Tweedie): ∇log p_t = (β D − x)/α².
 *
 * @example
 * ```ts
 * const s = scoreFromDenoiser(linearInterpolant.coefficients(t), x, D);
 * ```
 */
export function scoreFromDenoiser(coef: Coefficients, x: Tensor, denoiser: Tensor): Tensor {
  const c = at(coef, x);
  return denoiser.mul(c.beta).sub(x).div(c.alpha.square());
}

/**
 * Score from drift, (S): (β b − β̇ x)/(α(α β̇ − α̇ β)).
 *
 * @example
 * ```ts
 * const s = scoreFromDrift(linearInterpolant.coefficients(t), x, b);
 * ```
 */
export function scoreFromDrift(coef: Coefficients, x: Tensor, drift: Tensor): Tensor {
  const c = at(coef, x);
  return drift.mul(c.beta).sub(x.mul(c.dBeta)).div(
    c.alpha.mul(c.alpha.mul(c.dBeta).sub(c.dAlpha.mul(c.beta))),
  );
}

/**
 * The squared diffusion of the SDE whose endpoint law is the posterior (§1.5):
 * g² = 2α(αβ̇ − α̇β)/β (linear: 2(1 − t)/t).
 *
 * @example
 * ```ts
 * const g2 = diffusionSq(linearInterpolant.coefficients(t));
 * ```
 */
export function diffusionSq(coef: Coefficients): Tensor {
  return coef.alpha.mul(coef.alpha.mul(coef.dBeta).sub(coef.dAlpha.mul(coef.beta))).mul(2).div(
    coef.beta,
  );
}

/**
 * Moves a state of path `from` at time `tau` to the equivalent state of path `to` (§7.6):
 * the time t with α_t/β_t = α̃_τ/β̃_τ and x = (β_t/β̃_τ) x̃. The posteriors p̃_{1|τ}(·|x̃) and
 * p_{1|t}(·|x) are then equal, so an MFM trained on `to` samples posteriors of `from`.
 *
 * @example
 * ```ts
 * const { t, x } = reparametrize(trigInterpolant, linearInterpolant, tau, xTilde);
 * ```
 */
export function reparametrize(
  from: Interpolant,
  to: Interpolant,
  tau: Tensor,
  x: Tensor,
): { t: Tensor; x: Tensor } {
  const cf = from.coefficients(tau);
  const t = to.snrInv(cf.beta.div(cf.alpha).square());
  const ct = to.coefficients(t);
  return { t, x: x.mul(perSample(ct.beta.div(cf.beta), x)) };
}
