/**
 * Value-gradient estimators (MATH-reward §5, §9): MFM-GF (gradient-free, sample-mean or
 * denoiser baseline), MFM-G (autograd of log-mean-exp rewards of one-step posterior draws
 * w.r.t. the context state) and DPS, behind one `ValueGradEstimator` interface. Each returns the
 * PF-ODE drift correction (g²/2)∇V̂ computed stably, ∇V̂, and diagnostics.
 *
 * @module
 */

import {
  constLike,
  full,
  type Key,
  logsumexp,
  normal,
  sliceAxis,
  softmax,
  stopGradient,
  sum,
  type Tensor,
  type Tree,
  valueAndGrad,
  where,
} from "@mfm/tensor";
import { denoiserFromDrift, diffusionSq, type Interpolant, perSample } from "@mfm/interpolants";
import { mfmDrift, type StochasticFlowMap } from "@mfm/flowmaps";
import type { RewardModel } from "@mfm/rewards";

/** An estimate of ∇V_t at a batch of particles, with diagnostics (all per particle). */
export interface ValueGradEstimate {
  /** (g²/2)∇V̂: the PF-ODE correction (the SDE adds twice it). `[B, d]` */
  readonly correction: Tensor;
  /** ∇V̂ (0 at t = 0, where V_0 is constant). `[B, d]` */
  readonly gradV: Tensor;
  /** log of the mean of e^{r} over the draws (V̂ up to the estimator's bias). `[B]` */
  readonly logValue: Tensor;
  /** Effective sample size 1/Σw² of the softmax weights. `[B]` */
  readonly ess: Tensor;
  /** Entropy −Σ w log w of the weights. `[B]` */
  readonly entropy: Tensor;
  /** ‖correction‖. `[B]` */
  readonly norm: Tensor;
}

/** Posterior draws with their randomness made explicit, so compiled steps take it as input. */
export interface PosteriorDraws {
  /** Fresh randomness for `rows` draws of dimension `dim`. */
  noise(k: Key, rows: number, dim: number): Tree;
  /**
   * Draws x_1 ~ p(x_1 | x_t = x) per row of x (differentiable in x for MFM-G), and optionally
   * log π(x) of a discrete choice made inside (its score-function term, §11).
   */
  draw(noise: Tree, t: Tensor, x: Tensor): { x1: Tensor; logProb?: Tensor };
  /** Network evaluations per draw (for NFE counts); default 1. */
  readonly evaluations?: number;
}

/**
 * MFM draws X_{0,1}(ε; t, x) with ε ~ N(0, I): one step, or `innerSteps` jumps on a uniform grid.
 *
 * @example
 * ```ts
 * const draws = mfmDraws(mfm);
 * ```
 */
export function mfmDraws(mfm: StochasticFlowMap, innerSteps = 1): PosteriorDraws {
  if (!Number.isInteger(innerSteps) || innerSteps < 1) {
    throw new RangeError(`mfmDraws: innerSteps ${innerSteps} must be a positive integer`);
  }
  return {
    evaluations: innerSteps,
    noise: (k, rows, dim) => normal(k, [rows, dim]),
    draw: (noise, t, x) => {
      // innerSteps > 1: the same draw through shorter jumps X_{i/K,(i+1)/K} (closer to the
      // well-trained diagonal), at K times the cost
      let y = noise as Tensor;
      for (let i = 0; i < innerSteps; i++) {
        y = mfm.map(t.mul(0).add(i / innerSteps), t.mul(0).add((i + 1) / innerSteps), y, t, x);
      }
      return { x1: y };
    },
  };
}

/** A ∇V estimator. */
export interface ValueGradEstimator {
  /** Name for reports. */
  readonly name: string;
  /** Function evaluations per particle per call (network + reward; a backward counts twice). */
  readonly nfe: number;
  /** Randomness for one call on `batch` particles of dimension `dim`. */
  noise(k: Key, batch: number, dim: number): Tree;
  /**
   * The estimate at times t `[B]` and states x `[B, d]`. `x0` `[B, d]` is each particle's t = 0
   * context of the base drift (an N(0, I) draw held along its path; see `mfmDrift`), for
   * estimators that use that drift (DPS's denoiser); those that draw from the posterior at
   * (t, x) ignore it.
   */
  estimate(noise: Tree, t: Tensor, x: Tensor, x0?: Tensor): ValueGradEstimate;
}

function checkDraws(n: number, where: string): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(
      `${where}: n ${n} must be a positive integer (posterior draws per particle)`,
    );
  }
}

function repeat(x: Tensor, n: number): Tensor {
  const [b, ...rest] = x.shape;
  return x.reshape([b, 1, ...rest]).broadcastTo([b, n, ...rest]).reshape([b * n, ...rest]);
}

function diagnostics(r: Tensor): { w: Tensor; logValue: Tensor; ess: Tensor; entropy: Tensor } {
  const n = r.shape[1];
  const w = softmax(r, -1);
  const logW = r.sub(logsumexp(r, -1, true));
  return {
    w,
    logValue: logsumexp(r, -1).sub(Math.log(n)),
    ess: w.square().sum(-1).pow(-1),
    entropy: w.mul(logW).sum(-1).neg(),
  };
}

/** (g²/2)·v with the t = 0 case (g = ∞, ∇V = 0) set to 0. */
function halfG2(p: Interpolant, t: Tensor, v: Tensor): Tensor {
  const g2 = diffusionSq(p.coefficients(t));
  const safe = where(t.greater(0), g2, constLike(0, g2));
  return v.mul(perSample(safe.mul(0.5), v));
}

/**
 * The PF-ODE correction from the posterior identity ∇V = (β/α²)(E_tilt[x₁ | x] − E[x₁ | x]), given
 * that difference: (g²/2)(β/α²) = (αβ̇ − α̇β)/α stays finite at t = 0.
 */
function identityCorrection(p: Interpolant, t: Tensor, diff: Tensor): Tensor {
  const c = p.coefficients(t);
  return diff.mul(perSample(c.alpha.mul(c.dBeta).sub(c.dAlpha.mul(c.beta)).div(c.alpha), diff));
}

/** Options of the MFM estimators. */
export interface MfmEstimatorOptions {
  /** Posterior draws per particle (N). */
  n: number;
  /** The (outer) interpolant of the context. */
  interpolant: Interpolant;
}

/**
 * MFM-GF (20): ∇V̂ = (β/α²) Σ_i (w_i − 1/N) X^i with w = softmax(r(X^i)); nothing is
 * differentiated. With `baseline: "denoiser"`, the sample mean is replaced by D_t(x).
 *
 * @example
 * ```ts
 * const gf = mfmGF(mfmDraws(mfm), reward, { n: 16, interpolant: linearInterpolant });
 * ```
 */
export function mfmGF(
  draws: PosteriorDraws,
  reward: RewardModel,
  opts: MfmEstimatorOptions & {
    baseline?: "mean" | "denoiser";
    denoiser?: (t: Tensor, x: Tensor) => Tensor;
  },
): ValueGradEstimator {
  const { n, interpolant: p } = opts;
  checkDraws(n, "mfmGF");
  const baseline = opts.baseline ?? "mean";
  if (baseline === "denoiser" && !opts.denoiser) {
    throw new Error("mfmGF: the denoiser baseline needs a denoiser");
  }
  return {
    name: baseline === "mean" ? `MFM-GF(${n})` : `MFM-GF-D(${n})`,
    nfe: (1 + (draws.evaluations ?? 1)) * n,
    noise: (k, b, d) => draws.noise(k, b * n, d),
    estimate: (noise, t, x) => {
      const [b, d] = x.shape;
      const x1 = stopGradient(draws.draw(noise, repeat(t, n), repeat(x, n)).x1);
      const r = reward.reward(x1).reshape([b, n]);
      const diag = diagnostics(r);
      const xs = x1.reshape([b, n, d]);
      const tilted = sum(xs.mul(diag.w.reshape([b, n, 1])), 1);
      const base = baseline === "mean" ? xs.mean(1) : opts.denoiser!(t, x);
      const diff = tilted.sub(base);
      const c = p.coefficients(t);
      const correction = identityCorrection(p, t, diff);
      const gradV = diff.mul(perSample(c.beta.div(c.alpha.square()), diff));
      return {
        correction,
        gradV,
        logValue: diag.logValue,
        ess: diag.ess,
        entropy: diag.entropy,
        norm: correction.square().sum(-1).sqrt(),
      };
    },
  };
}

/**
 * MFM-G (22)/(37): ∇V̂ = ∇_x [log (1/N) Σ_i e^{r(X(ε_i; t, x))}] with the ε_i frozen, by
 * autograd through the sampler and the reward. At t = 0, where this pathwise form is 0·∞, the
 * correction is its finite limit E_tilt[x₁] − E[x₁] (linear path; in general times
 * (αβ̇ − α̇β)/α), from the same draws and weights.
 *
 * @example
 * ```ts
 * const g = mfmG(mfmDraws(mfm), reward, { n: 16, interpolant: linearInterpolant });
 * ```
 */
export function mfmG(
  draws: PosteriorDraws,
  reward: RewardModel,
  opts: MfmEstimatorOptions,
): ValueGradEstimator {
  const { n, interpolant: p } = opts;
  checkDraws(n, "mfmG");
  if (!reward.differentiable) {
    throw new Error(`mfmG: reward "${reward.name}" is not differentiable; use mfmGF`);
  }
  return {
    name: `MFM-G(${n})`,
    nfe: 2 * (1 + (draws.evaluations ?? 1)) * n,
    noise: (k, b, d) => draws.noise(k, b * n, d),
    estimate: (noise, t, x) => {
      const b = x.shape[0];
      const objective = (y: Tensor) => {
        const { x1, logProb } = draws.draw(noise, repeat(t, n), repeat(y, n));
        let r = reward.reward(x1);
        // score-function term of a discrete choice inside the sampler: adds ∇log π with the value unchanged
        if (logProb) r = r.add(logProb.sub(stopGradient(logProb)));
        const rr = r.reshape([b, n]);
        return {
          value: logsumexp(rr, -1).sub(Math.log(n)).sum(),
          aux: { r: stopGradient(rr), x1: stopGradient(x1) },
        };
      };
      const { grad, aux } = valueAndGrad(objective, { hasAux: true })(x);
      const { r, x1 } = aux as { r: Tensor; x1: Tensor };
      const diag = diagnostics(r);
      const positive = perSample(t.greater(0), grad).broadcastTo(grad.shape);
      const gradV = where(positive, grad, constLike(0, grad));
      // at t = 0 the pathwise form is 0·∞ (∇V_0 = 0, g = ∞) while the correction has a finite,
      // nonzero limit, E_tilt[x₁] − E[x₁]: take it from the same draws and weights, as MFM-GF
      // does, so a coarse ODE grid does not lose its whole first step of steering
      const xs = x1.reshape([b, n, x.shape[1]]);
      const limit = identityCorrection(
        p,
        t,
        sum(xs.mul(diag.w.reshape([b, n, 1])), 1).sub(xs.mean(1)),
      );
      const correction = where(positive, halfG2(p, t, gradV), limit);
      return {
        correction,
        gradV,
        logValue: diag.logValue,
        ess: diag.ess,
        entropy: diag.entropy,
        norm: correction.square().sum(-1).sqrt(),
      };
    },
  };
}

/**
 * DPS (§9): the posterior replaced by a point mass at the denoiser, ∇V̂ = ∇_x r(D_t(x)), with
 * D from the MFM's extracted drift, differentiated through the network.
 *
 * @example
 * ```ts
 * const dps = dpsEstimator(mfm, reward, linearInterpolant);
 * ```
 */
export function dpsEstimator(
  mfm: StochasticFlowMap,
  reward: RewardModel,
  p: Interpolant,
): ValueGradEstimator {
  if (!reward.differentiable) throw new Error(`dps: reward "${reward.name}" is not differentiable`);
  return {
    name: "DPS",
    nfe: 4,
    noise: () => [],
    estimate: (_noise, t, x, x0) => {
      const denoise = (y: Tensor) =>
        denoiserFromDrift(p.coefficients(t), y, mfmDrift(mfm, t, y, x0));
      const objective = (y: Tensor) => {
        const r = reward.reward(denoise(y));
        return { value: r.sum(), aux: stopGradient(r) };
      };
      const { grad, aux } = valueAndGrad(objective, { hasAux: true })(x);
      const gradV = where(
        perSample(t.greater(0), grad).broadcastTo(grad.shape),
        grad,
        constLike(0, grad),
      );
      const correction = halfG2(p, t, gradV);
      const b = x.shape[0];
      return {
        correction,
        gradV,
        logValue: aux as Tensor, // DPS's V̂ = r(D_t(x))
        ess: full([b], 1),
        entropy: full([b], 0),
        norm: correction.square().sum(-1).sqrt(),
      };
    },
  };
}

/**
 * Posterior draws by SDE inner rollouts (§9 baselines): integrate dX = [2b_s − (β̇/β)X] ds + g dW
 * (the SDE (14) whose endpoint law is p(x_1 | x_t)) from (t, x) to 1 with Euler–Maruyama, given
 * a context-free drift b. Differentiable in x (the noise is fixed), so it serves MFM-GF and
 * MFM-G; each draw costs `steps` drift evaluations.
 *
 * @example
 * ```ts
 * const draws = sdeRolloutDraws((x, t) => mfmDrift(mfm, t, x), linearInterpolant, 100);
 * ```
 */
export function sdeRolloutDraws(
  drift: (x: Tensor, t: Tensor) => Tensor,
  p: Interpolant,
  steps: number,
): PosteriorDraws {
  if (!Number.isInteger(steps) || steps < 1) {
    throw new RangeError(`sdeRolloutDraws: steps ${steps} must be a positive integer`);
  }
  return {
    noise: (k, rows, dim) => normal(k, [steps, rows, dim]),
    draw: (noise, t, x) => {
      const xi = (noise as Tensor).cast(x.dtype);
      const h = t.neg().add(1).div(steps); // per-row step to reach 1
      let y = x;
      for (let i = 0; i < steps; i++) {
        const s = t.add(h.mul(i));
        const c = p.coefficients(s);
        const f = drift(y, s).mul(2).sub(y.mul(perSample(c.dBeta.div(c.beta), y)));
        const dw = sliceAxis(xi, 0, i, i + 1).reshape(x.shape).mul(
          perSample(h.sqrt().mul(diffusionSq(c).sqrt()), y),
        );
        y = y.add(f.mul(perSample(h, f))).add(dw);
      }
      return { x1: y };
    },
  };
}
