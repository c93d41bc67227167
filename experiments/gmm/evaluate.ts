/**
 * Evaluation of an MFM on the paper's GMM: one-step posteriors against the exact posterior law
 * at several contexts, and K-step unconditional samples against the data law, each with the
 * noise floor of exact samples of the same size beside it.
 *
 * @module
 */

import {
  full,
  type Key,
  linearInterpolant,
  type MixtureLaw,
  mmd2,
  modeWeights,
  normal,
  sliceAxis,
  slicedW2ToLaw,
  softmax,
  split,
  type Tensor,
  tensor,
  totalVariation,
} from "../../mod.ts";
import type { GaussianMixture, StochasticFlowMap } from "../../mod.ts";
import { kStepSample, mfmPosteriorSampler } from "../../mod.ts";

/** The exact posterior law p(x_1 | x_t = x) of a mixture (linear path). */
export function posteriorLaw(gmm: GaussianMixture, t: number, x: readonly number[]): MixtureLaw {
  const post = gmm.posterior(linearInterpolant, tensor([t]), tensor([[...x]]));
  const d = gmm.dim;
  return {
    weights: Array.from(softmax(post.logWeights, -1).dataSync()),
    means: Array.from(
      { length: gmm.size },
      (_, k) => Array.from(post.means.dataSync().slice(d * k, d * (k + 1))),
    ),
    variances: Array.from(post.variances.dataSync()),
  };
}

/** The data law of a mixture. */
export function dataLaw(gmm: GaussianMixture): MixtureLaw {
  return { weights: gmm.weights, means: gmm.means, variances: gmm.variances };
}

/** One posterior context's result. */
export interface PosteriorResult {
  readonly t: number;
  readonly x: readonly number[];
  readonly sw2: number;
  readonly floor: number;
  readonly draws: Tensor;
  readonly exact: Tensor;
}

/** One unconditional sampler's result. */
export interface UncondResult {
  readonly steps: number;
  readonly sw2: number;
  readonly floor: number;
  readonly mmd2: number;
  readonly mmdFloor: number;
  readonly modeWeights: readonly number[];
  readonly modeTv: number;
  readonly samples: Tensor;
}

/**
 * Contexts (t, x_t): for each t, `perT` states drawn from p_t with a fixed key.
 *
 * @example
 * ```ts
 * const contexts = gmmContexts(paperGmm(), [0.2, 0.5, 0.8], 8, key(1));
 * ```
 */
export function gmmContexts(
  gmm: GaussianMixture,
  times: readonly number[],
  perT: number,
  k: Key,
): { t: number; x: number[] }[] {
  return times.flatMap((t, i) => {
    const [k1, k2] = split(split(k, times.length)[i]);
    const x1 = gmm.sample(k1, perT, "float64").dataSync();
    const x0 = normal(k2, [perT, gmm.dim], { dtype: "float64" }).dataSync();
    return Array.from({ length: perT }, (_, j) => ({
      t,
      x: Array.from(
        { length: gmm.dim },
        (_, d) => (1 - t) * x0[j * gmm.dim + d] + t * x1[j * gmm.dim + d],
      ),
    }));
  });
}

/**
 * One-step posterior draws at each context, sliced W2 to the exact posterior law, and the floor
 * (exact posterior samples of the same size against the same law).
 *
 * @example
 * ```ts
 * const rows = evaluatePosteriors(mfm, gmm, contexts, 4096, key(2));
 * ```
 */
export function evaluatePosteriors(
  mfm: StochasticFlowMap,
  gmm: GaussianMixture,
  contexts: readonly { t: number; x: readonly number[] }[],
  n: number,
  k: Key,
  projections = 128,
): PosteriorResult[] {
  const sampler = mfmPosteriorSampler(mfm);
  const keys = split(k, 2 * contexts.length);
  return contexts.map((c, i) => {
    const t = full([n], c.t);
    const xt = tensor(Array.from({ length: n }, () => [...c.x]));
    const law = posteriorLaw(gmm, c.t, c.x);
    const draws = sampler(keys[2 * i], t, xt);
    const exact = gmm.samplePosterior(keys[2 * i + 1], linearInterpolant, t, xt);
    return {
      t: c.t,
      x: c.x,
      sw2: slicedW2ToLaw(draws, law, { projections }),
      floor: slicedW2ToLaw(exact, law, { projections }),
      draws,
      exact,
    };
  });
}

/**
 * K-step unconditional samples against the data law: sliced W2 (with floor), MMD² (with floor)
 * and mode weights.
 *
 * @example
 * ```ts
 * const rows = evaluateUnconditional(mfm, gmm, [1, 2, 4], 4096, key(3));
 * ```
 */
export function evaluateUnconditional(
  mfm: StochasticFlowMap,
  gmm: GaussianMixture,
  stepsList: readonly number[],
  n: number,
  k: Key,
  projections = 128,
): UncondResult[] {
  const sampler = mfmPosteriorSampler(mfm);
  const law = dataLaw(gmm);
  const [kf, kf2, ...ks] = split(k, stepsList.length + 2);
  const exact = gmm.sample(kf, n);
  const exact2 = gmm.sample(kf2, n);
  const mmdN = Math.min(n, 2048);
  const first = (x: Tensor) => sliceAxis(x, 0, 0, mmdN);
  const floor = slicedW2ToLaw(exact, law, { projections });
  const mmdFloor = mmd2(first(exact2), first(exact));
  return stepsList.map((K, i) => {
    const samples = kStepSample(sampler, linearInterpolant, ks[i], [n, gmm.dim], K);
    const w = modeWeights(gmm.assign(samples), gmm.size);
    return {
      steps: K,
      sw2: slicedW2ToLaw(samples, law, { projections }),
      floor,
      mmd2: mmd2(first(samples), first(exact)),
      mmdFloor,
      modeWeights: w,
      modeTv: totalVariation(w, gmm.weights),
      samples,
    };
  });
}
