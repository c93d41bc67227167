/**
 * What an MFM yields besides posterior draws (MATH-core §7.4–7.5): the unconditional drift
 * (context time 0), the denoiser and score through inner time 0, and short flow segments.
 *
 * @module
 */

import { constLike, full, type Tensor, zerosLike } from "@mfm/tensor";
import {
  driftFromDenoiser,
  type Interpolant,
  perSample,
  scoreFromDenoiser,
} from "@mfm/interpolants";
import type { StochasticFlowMap } from "./flow_map.ts";

const timesLike = (value: number, x: Tensor) => full([x.shape[0]], value, x.dtype);

/**
 * The context state at t = 0: `x0` (shape-checked against the state) or zeros. A gated MFM
 * ignores it; an ungated one was trained with x₀ ~ N(0, I) there, independent of the inner state.
 */
function contextAtZero(where: string, x: Tensor, x0?: Tensor): Tensor {
  if (!x0) return zerosLike(x);
  if (x0.shape.join() !== x.shape.join()) {
    throw new RangeError(
      `${where}: x0 has shape [${x0.shape}], expected the state's shape [${x.shape}]`,
    );
  }
  return x0;
}

/**
 * The marginal drift b_s(x) = v_{s,s}(x; 0, x₀) (36): the tangent of the context-free map.
 * `x0` is the context state at t = 0 (default zeros); give an ungated MFM an N(0, I) draw held
 * along the path, as for `flowSegment`.
 *
 * @example
 * ```ts
 * const b = mfmDrift(mfm, s, x, x0);
 * ```
 */
export function mfmDrift(mfm: StochasticFlowMap, s: Tensor, x: Tensor, x0?: Tensor): Tensor {
  return mfm.velocity(s, s, x, s.mul(0), contextAtZero("mfmDrift", x, x0));
}

/**
 * The denoiser through inner time 0 (51): D_t(x) = (v_{0,0}(x̄; t, x) − α̇_0 x̄)/β̇_0 for any x̄
 * (zeros by default); `inner` is the MFM's inner path.
 *
 * @example
 * ```ts
 * const D = mfmDenoiser(mfm, linearInterpolant, t, x);
 * ```
 */
export function mfmDenoiser(
  mfm: StochasticFlowMap,
  inner: Interpolant,
  t: Tensor,
  x: Tensor,
  xbar?: Tensor,
): Tensor {
  const xb = xbar ?? zerosLike(x);
  const zero = timesLike(0, x);
  const c0 = inner.coefficients(zero);
  const v = mfm.velocity(zero, zero, xb, t, x);
  return v.sub(xb.mul(perSample(c0.dAlpha, xb))).div(perSample(c0.dBeta, v));
}

/**
 * Drift and score of the outer path from the denoiser of (51), via (B) and Tweedie.
 *
 * @example
 * ```ts
 * const { drift, score } = mfmDriftAndScore(mfm, linearInterpolant, linearInterpolant, t, x);
 * ```
 */
export function mfmDriftAndScore(
  mfm: StochasticFlowMap,
  inner: Interpolant,
  outer: Interpolant,
  t: Tensor,
  x: Tensor,
): { drift: Tensor; score: Tensor; denoiser: Tensor } {
  const D = mfmDenoiser(mfm, inner, t, x);
  const c = outer.coefficients(t);
  return { denoiser: D, drift: driftFromDenoiser(c, x, D), score: scoreFromDenoiser(c, x, D) };
}

/**
 * A short flow segment (50): the jump X_{s,s+h}(x; 0, x₀) in place of an Euler drift step.
 * `x0` is the context state at t = 0 (default zeros). A gated MFM ignores it; an ungated one was
 * trained with x₀ ~ N(0, I) there, independent of the inner state, so pass such a draw, held along
 * the path. Zeros are far off in high dimension, and the path's own starting noise is correlated
 * with its state (MNIST, 8 flow segments, 1000 samples: FID 32.5 with zeros, 25.1 with the
 * starting noise, 21.7 with an independent draw).
 *
 * @example
 * ```ts
 * x = flowSegment(mfm, s, 0.01, x, x0);
 * ```
 */
export function flowSegment(
  mfm: StochasticFlowMap,
  s: Tensor,
  h: number,
  x: Tensor,
  x0?: Tensor,
): Tensor {
  return mfm.map(s, s.add(constLike(h, s)), x, s.mul(0), contextAtZero("flowSegment", x, x0));
}
