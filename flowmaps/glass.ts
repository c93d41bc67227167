/**
 * GLASS: the conditional drift b̄_s(x; t, x_t) of the auxiliary flow that ends at p(x_1 | x_t),
 * in closed form from any pretrained drift (MATH-core §6), for any inner and outer schedules.
 * It serves as a distillation teacher and, integrated by an ODE solver, as a posterior
 * sampler (a stochastic flow map that costs many teacher evaluations per draw).
 *
 * @module
 */

import { constLike, full, type Tensor, where } from "@mfm/tensor";
import { denoiserFromDrift, type Interpolant, perSample } from "@mfm/interpolants";
import type { StochasticFlowMap } from "./flow_map.ts";

/** A context-free drift b_τ(x) (a pretrained flow model or an analytic one). */
export type DriftFn = (x: Tensor, tau: Tensor) => Tensor;

/** Paths of a GLASS construction. */
export interface GlassPaths {
  /** The teacher's (outer) path: the context x_t and the teacher drift live on it. */
  readonly outer: Interpolant;
  /** The auxiliary (inner) path; must start at pure noise (β_0 = 0), so not VP. */
  readonly inner: Interpolant;
}

// SNRs beyond this stand for +∞ (context time 1: the posterior is a point mass)
const BIG_SNR = 1e12;

/**
 * b̄_s(x; t, x_t) = w₁ x + w₂ D_{t*}(x*) with the combined SNR λ = β_t²/α_t² + β_s²/α_s², the
 * sufficient statistic S, t* = SNR⁻¹(λ), x* = β_{t*} S and the denoiser from the teacher's
 * drift, (127)–(128). Requires s < 1.
 *
 * @example
 * ```ts
 * const b = glassDrift(x, s, t, xt, (y, tau) => teacher(y, tau), { outer: linearInterpolant, inner: linearInterpolant });
 * ```
 */
export function glassDrift(
  x: Tensor,
  s: Tensor,
  t: Tensor,
  xt: Tensor,
  teacher: DriftFn,
  paths: GlassPaths,
): Tensor {
  const co = paths.outer.coefficients(t);
  const ci = paths.inner.coefficients(s);
  const outerSnr = where(
    co.alpha.greater(0),
    co.beta.div(co.alpha).square(),
    constLike(BIG_SNR, t),
  );
  const outerW = where(co.alpha.greater(0), co.beta.div(co.alpha.square()), constLike(0, t));
  const innerSnr = ci.beta.div(ci.alpha).square();
  const lambda = outerSnr.add(innerSnr);
  const safe = where(lambda.greater(0), lambda, constLike(1, lambda));
  // S = (β_t x_t/α_t² + β_s x/α_s²)/λ; at t = 1 it is x_t itself
  const num = xt.mul(perSample(outerW, xt)).add(
    x.mul(perSample(ci.beta.div(ci.alpha.square()), x)),
  );
  const atOne = co.alpha.greater(0);
  const S = where(
    perSample(atOne, x).broadcastTo(x.shape),
    num.div(perSample(safe, x)),
    xt.div(perSample(where(atOne, constLike(1, t), co.beta), xt)),
  );
  const tStar = where(lambda.greater(0), paths.outer.snrInv(safe), full(t.shape, 0, t.dtype));
  const cs = paths.outer.coefficients(tStar);
  const xStar = S.mul(perSample(cs.beta, S));
  const dStar = denoiserFromDrift(cs, xStar, teacher(xStar, tStar));
  const w1 = ci.dAlpha.div(ci.alpha);
  const w2 = ci.dBeta.sub(ci.dAlpha.mul(ci.beta).div(ci.alpha));
  return x.mul(perSample(w1, x)).add(dStar.mul(perSample(w2, dStar)));
}

/**
 * The GLASS ODE as a stochastic flow map: X_{s,u}(x; t, x_t) integrates dx/dσ = b̄_σ from s to u
 * with `steps` Euler steps (times s + i·h, never the endpoint 1). A posterior sampler that costs
 * `steps` teacher evaluations per draw — the rollout a trained MFM replaces with one call.
 *
 * @example
 * ```ts
 * const sampler = glassFlowMap(teacher, paths, 200);
 * const x1 = sampler.map(zeros, ones, eps, t, xt);
 * ```
 */
export function glassFlowMap(teacher: DriftFn, paths: GlassPaths, steps = 200): StochasticFlowMap {
  if (!Number.isInteger(steps) || steps < 1) {
    throw new RangeError(`glassFlowMap: steps ${steps} must be a positive integer`);
  }
  const map = (s: Tensor, u: Tensor, x: Tensor, t: Tensor, xt: Tensor) => {
    const h = u.sub(s).div(steps);
    let y = x;
    for (let i = 0; i < steps; i++) {
      const sigma = s.add(h.mul(i));
      y = y.add(glassDrift(y, sigma, t, xt, teacher, paths).mul(perSample(h, y)));
    }
    return y;
  };
  // the average velocity of the rollout, (X − x)/(u − s); on the diagonal, the drift itself
  const velocity = (s: Tensor, u: Tensor, x: Tensor, t: Tensor, xt: Tensor) => {
    const gap = u.sub(s);
    const avg = map(s, u, x, t, xt).sub(x).div(
      perSample(where(gap.greater(0), gap, constLike(1, gap)), x),
    );
    return where(
      perSample(gap.greater(0), x).broadcastTo(x.shape),
      avg,
      glassDrift(x, s, t, xt, teacher, paths),
    );
  };
  return { velocity, map };
}
