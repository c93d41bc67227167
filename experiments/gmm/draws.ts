/**
 * Exact posterior draws of a Gaussian mixture as `PosteriorDraws`: a component by inverse CDF of
 * π(x) (a discrete choice, whose score-function term log π_k(x) is returned), then m_k + √c_k ε —
 * differentiable in x, as MFM-G and MFM-FT need (MATH-reward §11).
 *
 * @module
 */

import {
  cast,
  concat,
  full,
  type GaussianMixture,
  type Interpolant,
  less,
  matmul,
  normal,
  type PosteriorDraws,
  sliceAxis,
  softmax,
  split,
  stopGradient,
  type Tensor,
  tensor,
  uniform,
} from "../../mod.ts";

/**
 * The mixture's exact posterior sampler with explicit randomness (computed in float64, returned
 * in the dtype of x).
 *
 * @example
 * ```ts
 * const draws = mixtureDraws(paperGmm(), linearInterpolant);
 * const gf = mfmGF(draws, reward, { n: 1000, interpolant: linearInterpolant });
 * ```
 */
export function mixtureDraws(gmm: GaussianMixture, p: Interpolant): PosteriorDraws {
  const K = gmm.size;
  const upper = tensor(
    Array.from({ length: K }, (_, i) => Array.from({ length: K }, (_, j) => (j >= i ? 1 : 0))),
    { dtype: "float64" },
  );
  return {
    noise: (k, rows, dim) => {
      const [ku, ke] = split(k);
      return {
        u: uniform(ku, [rows, 1], { dtype: "float64" }),
        eps: normal(ke, [rows, dim], { dtype: "float64" }),
      };
    },
    draw: (noise, t0, x0) => {
      const { u, eps } = noise as { u: Tensor; eps: Tensor };
      // float64 inside (sharp posteriors), the caller's dtype outside (float32 samplers mix in)
      const dt = x0.dtype;
      const t = cast(t0, "float64");
      const x = cast(x0, "float64");
      const post = gmm.posterior(p, t, x);
      const below = cast(
        less(u, matmul(softmax(stopGradient(post.logWeights), -1), upper)),
        "float64",
      );
      // one-hot of the first component whose cumulative weight exceeds u
      const onehot = below.sub(
        concat([full([below.shape[0], 1], 0, "float64"), sliceAxis(below, 1, 0, K - 1)], 1),
      );
      const mean = matmul(onehot.reshape([-1, 1, K]), post.means).reshape([-1, gmm.dim]);
      const sd = onehot.mul(post.variances).sum(-1).sqrt().reshape([-1, 1]);
      return {
        x1: cast(mean.add(eps.mul(sd)), dt),
        logProb: cast(onehot.mul(post.logWeights).sum(-1), dt),
      };
    },
  };
}
