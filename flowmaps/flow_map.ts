/**
 * The flow-map interfaces (MATH-core §2–3): a Meta Flow Map X_{s,u}(x; t, x_t) = x + (u − s)
 * v_{s,u}(x; t, x_t) transports the auxiliary flow of the context (t, x_t) from inner time s
 * to u; X_{0,1}(ε; t, x_t) with ε ~ N(0, I) is a draw of p(x_1 | x_t).
 *
 * @module
 */

import { type Tensor, zerosLike } from "@mfm/tensor";
import { perSample } from "@mfm/interpolants";

/**
 * An MFM's average velocity: inner times s, u `[B]`, state x `[B, ...]`, context time t `[B]`
 * and context state x_t `[B, ...]`.
 */
export type VelocityFn = (s: Tensor, u: Tensor, x: Tensor, t: Tensor, xt: Tensor) => Tensor;

/** A stochastic flow map: the velocity and the map it defines. */
export interface StochasticFlowMap {
  /** v_{s,u}(x; t, x_t). */
  readonly velocity: VelocityFn;
  /** X_{s,u}(x; t, x_t) = x + (u − s)·v. */
  readonly map: VelocityFn;
}

/**
 * The stochastic flow map of a velocity.
 *
 * @example
 * ```ts
 * const mfm = flowMapOf((s, u, x, t, xt) => net(params, s, u, x, t, xt));
 * const x1 = mfm.map(zeros, ones, eps, t, xt); // one-step posterior draws
 * ```
 */
export function flowMapOf(velocity: VelocityFn): StochasticFlowMap {
  return {
    velocity,
    map: (s, u, x, t, xt) => x.add(velocity(s, u, x, t, xt).mul(perSample(u.sub(s), x))),
  };
}

/**
 * A deterministic flow map X_{s,u}(x) (no context): the MFM at context time 0 with a zero
 * context state. A gated MFM ignores that state; an ungated one was trained on x₀ ~ N(0, I) there,
 * so in high dimension call `mfm.map(s, u, x, 0, x0)` with such a draw (see `flowSegment`).
 *
 * @example
 * ```ts
 * const fm = marginalFlowMap(mfm);
 * fm(s, u, x); // X_{s,u}(x; 0, ·)
 * ```
 */
export function marginalFlowMap(
  mfm: StochasticFlowMap,
): (s: Tensor, u: Tensor, x: Tensor) => Tensor {
  return (s, u, x) => mfm.map(s, u, x, s.mul(0), zerosLike(x));
}
