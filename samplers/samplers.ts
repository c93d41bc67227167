/**
 * Samplers: Euler and Heun ODE solvers, Euler–Maruyama for SDEs, the one-step MFM posterior
 * sampler (MATH-core §7.1), K-step refinement (Algorithm 1, §7.2) and γ-sampling (§7.3).
 *
 * @module
 */

import { full, type Key, normal, split, type Tensor } from "@mfm/tensor";
import { type Interpolant, perSample } from "@mfm/interpolants";
import type { StochasticFlowMap } from "@mfm/flowmaps";

/** A time-dependent vector field f(x, t) with t `[B]`. */
export type Field = (x: Tensor, t: Tensor) => Tensor;

/** Time grid of an ODE/SDE solve. */
export interface Grid {
  /** Start time; default 0. */
  t0?: number;
  /** End time; default 1. */
  t1?: number;
  /** Number of steps. */
  steps: number;
}

function grid(g: Grid, where: string): { t0: number; h: number; steps: number } {
  const t0 = g.t0 ?? 0;
  const t1 = g.t1 ?? 1;
  if (!Number.isInteger(g.steps) || g.steps < 1) {
    throw new RangeError(`${where}: steps ${g.steps} must be a positive integer`);
  }
  return { t0, h: (t1 - t0) / g.steps, steps: g.steps };
}

const timeOf = (t: number, x: Tensor) => full([x.shape[0]], t, x.dtype);

/**
 * Explicit Euler for dx/dt = f(x, t) (first order).
 *
 * @example
 * ```ts
 * const x1 = odeEuler(drift, x0, { steps: 100 });
 * ```
 */
export function odeEuler(f: Field, x0: Tensor, g: Grid): Tensor {
  const { t0, h, steps } = grid(g, "odeEuler");
  let x = x0;
  for (let i = 0; i < steps; i++) x = x.add(f(x, timeOf(t0 + i * h, x)).mul(h));
  return x;
}

/**
 * Heun's method (explicit trapezoid, second order).
 *
 * @example
 * ```ts
 * const x1 = odeHeun(drift, x0, { steps: 50 });
 * ```
 */
export function odeHeun(f: Field, x0: Tensor, g: Grid): Tensor {
  const { t0, h, steps } = grid(g, "odeHeun");
  let x = x0;
  for (let i = 0; i < steps; i++) {
    const t = t0 + i * h;
    const k1 = f(x, timeOf(t, x));
    const k2 = f(x.add(k1.mul(h)), timeOf(t + h, x));
    x = x.add(k1.add(k2).mul(h / 2));
  }
  return x;
}

/**
 * Euler–Maruyama for dx = f(x, t) dt + g(t) dW, with g given per time `[B]`.
 *
 * @example
 * ```ts
 * const x1 = sdeEulerMaruyama(drift, (t) => diffusion(t), x0, key(0), { t0: 0.3, steps: 500 });
 * ```
 */
export function sdeEulerMaruyama(
  f: Field,
  g: (t: Tensor) => Tensor,
  x0: Tensor,
  k: Key,
  grd: Grid,
): Tensor {
  const { t0, h, steps } = grid(grd, "sdeEulerMaruyama");
  const keys = split(k, steps);
  let x = x0;
  for (let i = 0; i < steps; i++) {
    const t = timeOf(t0 + i * h, x);
    const noise = normal(keys[i], [...x.shape], { dtype: x.dtype as "float32" | "float64" });
    x = x.add(f(x, t).mul(h)).add(noise.mul(perSample(g(t), noise)).mul(Math.sqrt(Math.abs(h))));
  }
  return x;
}

/** Draws of p(x_1 | x_t): one per row of `xt`. */
export type PosteriorSampler = (k: Key, t: Tensor, xt: Tensor) => Tensor;

/**
 * The one-step MFM posterior sampler x_1 = X_{0,1}(ε; t, x_t), ε ~ N(0, I) (35); with
 * `innerSteps` > 1, the inner interval is split and the jumps chained.
 *
 * @example
 * ```ts
 * const sampler = mfmPosteriorSampler(mfm);
 * const x1 = sampler(key(0), t, xt);
 * ```
 */
export function mfmPosteriorSampler(mfm: StochasticFlowMap, innerSteps = 1): PosteriorSampler {
  if (!Number.isInteger(innerSteps) || innerSteps < 1) {
    throw new RangeError(
      `mfmPosteriorSampler: innerSteps ${innerSteps} must be a positive integer`,
    );
  }
  return (k, t, xt) => {
    let x = normal(k, [...xt.shape], { dtype: xt.dtype as "float32" | "float64" });
    for (let i = 0; i < innerSteps; i++) {
      x = mfm.map(timeOf(i / innerSteps, x), timeOf((i + 1) / innerSteps, x), x, t, xt);
    }
    return x;
  };
}

/**
 * K-step refinement (Algorithm 1): from x ~ N(0, I) at t_0 = 0, draw x_1 ~ p(x_1 | x_{t_k}) and
 * re-noise to t_{k+1} on the uniform grid t_k = k/K; the last draw is the sample.
 *
 * @example
 * ```ts
 * const samples = kStepSample(mfmPosteriorSampler(mfm), linearInterpolant, key(0), [4096, 2], 4);
 * ```
 */
export function kStepSample(
  sampler: PosteriorSampler,
  p: Interpolant,
  k: Key,
  shape: readonly number[],
  steps: number,
): Tensor {
  if (!Number.isInteger(steps) || steps < 1) {
    throw new RangeError(`kStepSample: steps ${steps} must be a positive integer`);
  }
  const keys = split(k, 2 * steps + 1);
  let x = normal(keys[0], shape);
  for (let i = 0; i < steps; i++) {
    const x1 = sampler(keys[2 * i + 1], timeOf(i / steps, x), x);
    if (i === steps - 1) return x1;
    const c = p.coefficients(timeOf((i + 1) / steps, x));
    const z = normal(keys[2 * i + 2], shape);
    x = z.mul(perSample(c.alpha, z)).add(x1.mul(perSample(c.beta, x1)));
  }
  return x;
}

/**
 * γ-sampling with γ = 1 (Algorithm 5, (52)): like K-step refinement, but each jump uses the
 * marginal (context-free, deterministic) map X_{t_k,1}(x; 0, ·) before re-noising.
 *
 * @example
 * ```ts
 * const samples = gammaSample(mfm, linearInterpolant, key(0), [4096, 2], 4);
 * ```
 */
export function gammaSample(
  mfm: StochasticFlowMap,
  p: Interpolant,
  k: Key,
  shape: readonly number[],
  steps: number,
): Tensor {
  if (!Number.isInteger(steps) || steps < 1) {
    throw new RangeError(`gammaSample: steps ${steps} must be a positive integer`);
  }
  const keys = split(k, steps + 2);
  let x = normal(keys[0], shape);
  // the t = 0 context: an N(0, I) draw per sample, independent of its state (what an ungated MFM
  // was trained on; a gated one ignores it)
  const x0 = normal(keys[steps + 1], shape);
  for (let i = 0; i < steps; i++) {
    const x1 = mfm.map(timeOf(i / steps, x), timeOf(1, x), x, timeOf(0, x), x0);
    if (i === steps - 1) return x1;
    const c = p.coefficients(timeOf((i + 1) / steps, x));
    const z = normal(keys[i + 1], shape);
    x = z.mul(perSample(c.alpha, z)).add(x1.mul(perSample(c.beta, x1)));
  }
  return x;
}
