/**
 * Isotropic Gaussian mixtures with everything in closed form under a Gaussian interpolant:
 * the posterior p(x_1 | x_t) (again a mixture), the denoiser, drift and score (MATH-reward §11),
 * exact sampling of data and posteriors. The paper's 2-D mixture is `paperGmm()`.
 *
 * @module
 */

import {
  allocate,
  argmax,
  cast,
  categorical,
  checkNumber,
  equal,
  fromHost,
  iotaLike,
  type Key,
  logsumexp,
  normal,
  normalArray,
  softmax,
  split,
  sum,
  type Tensor,
  tensor,
  uniformArray,
} from "@mfm/tensor";
import { driftFromDenoiser, type Interpolant, scoreFromDenoiser } from "@mfm/interpolants";

/** The posterior of a mixture given x_t: a mixture per row. */
export interface MixturePosterior {
  /** log π_k(x): `[B, K]`, normalised. */
  readonly logWeights: Tensor;
  /** m_k(x): `[B, K, d]`. */
  readonly means: Tensor;
  /** c_k (isotropic variance per component): `[B, K]`. */
  readonly variances: Tensor;
}

/**
 * A mixture Σ_k w_k N(μ_k, s_k I).
 *
 * @example
 * ```ts
 * const gmm = paperGmm();
 * const x1 = gmm.sample(key(0), 4096);
 * ```
 */
export class GaussianMixture {
  /** Dimension. */
  readonly dim: number;
  /** Number of components. */
  readonly size: number;

  /** Checks the parameters (weights positive and summing to 1, means of equal length, variances > 0). */
  constructor(
    /** Component weights. */
    readonly weights: readonly number[],
    /** Component means. */
    readonly means: readonly (readonly number[])[],
    /** Isotropic component variances. */
    readonly variances: readonly number[],
  ) {
    const k = weights.length;
    if (k === 0 || means.length !== k || variances.length !== k) {
      throw new RangeError(
        `GaussianMixture: ${k} weights, ${means.length} means, ${variances.length} variances`,
      );
    }
    weights.forEach((w, i) =>
      checkNumber(w, `weights[${i}]`, "GaussianMixture", 0, 1, { minExclusive: true })
    );
    variances.forEach((v, i) =>
      checkNumber(v, `variances[${i}]`, "GaussianMixture", 0, Infinity, { minExclusive: true })
    );
    if (Math.abs(weights.reduce((a, b) => a + b, 0) - 1) > 1e-9) {
      throw new RangeError("GaussianMixture: weights must sum to 1");
    }
    this.dim = means[0].length;
    if (means.some((m) => m.length !== this.dim)) {
      throw new RangeError("GaussianMixture: means differ in dimension");
    }
    this.size = k;
  }

  /**
   * `n` exact samples `[n, d]`.
   *
   * @example
   * ```ts
   * paperGmm().sample(key(1), 1024);
   * ```
   */
  sample(k: Key, n: number, dtype: "float32" | "float64" = "float32"): Tensor {
    // on the host: the same numbers on every backend, and no per-op dispatch
    const [kc, kn] = split(k);
    const u = uniformArray(kc, n);
    const eps = normalArray(kn, n * this.dim);
    const cum = this.weights.map((_, i) => this.weights.slice(0, i + 1).reduce((a, b) => a + b, 0));
    const out = allocate(dtype, n * this.dim);
    for (let i = 0; i < n; i++) {
      let c = cum.findIndex((w) => u[i] < w);
      if (c < 0) c = this.size - 1;
      const sd = Math.sqrt(this.variances[c]);
      for (let j = 0; j < this.dim; j++) {
        out[i * this.dim + j] = this.means[c][j] + sd * eps[i * this.dim + j];
      }
    }
    return fromHost({ shape: [n, this.dim], dtype, data: out });
  }

  /**
   * The posterior p(x_1 | x_t = x) under path `p`: π_k ∝ w_k N(x; β μ_k, S_k I) with
   * S_k = β² s_k + α², m_k = μ_k + (β s_k/S_k)(x − β μ_k), c_k = s_k α²/S_k.
   *
   * @example
   * ```ts
   * const post = gmm.posterior(linearInterpolant, t, xt);
   * ```
   */
  posterior(p: Interpolant, t: Tensor, x: Tensor): MixturePosterior {
    const dt = x.dtype as "float32" | "float64";
    const { alpha, beta } = p.coefficients(t);
    const a2 = alpha.square().reshape([-1, 1]); // [B, 1]
    const b = beta.reshape([-1, 1]);
    const s = tensor([this.variances.map((v) => v)], { dtype: dt }); // [1, K]
    const S = b.square().mul(s).add(a2); // [B, K]
    const mu = tensor(this.means.map((m) => [...m]), { dtype: dt }); // [K, d]
    const xb = x.reshape([-1, 1, this.dim]); // [B, 1, d]
    const diff = xb.sub(b.reshape([-1, 1, 1]).mul(mu.reshape([1, this.size, this.dim]))); // [B, K, d]
    const logN = diff.square().sum(-1).div(S).mul(-0.5).sub(S.log().mul(this.dim / 2));
    const logits = logN.add(tensor([this.weights.map(Math.log)], { dtype: dt }));
    const logWeights = logits.sub(logsumexp(logits, -1, true));
    const gain = b.mul(s).div(S); // [B, K]
    const means = mu.reshape([1, this.size, this.dim]).add(
      diff.mul(gain.reshape([-1, this.size, 1])),
    );
    return { logWeights, means, variances: s.mul(a2).div(S) };
  }

  /**
   * E[x_1 | x_t = x].
   *
   * @example
   * ```ts
   * gmm.denoiser(linearInterpolant, t, x);
   * ```
   */
  denoiser(p: Interpolant, t: Tensor, x: Tensor): Tensor {
    const post = this.posterior(p, t, x);
    return sum(post.means.mul(softmax(post.logWeights, -1).reshape([-1, this.size, 1])), 1);
  }

  /**
   * The probability-flow drift b_t(x) (from the denoiser, (B)).
   *
   * @example
   * ```ts
   * gmm.drift(linearInterpolant, t, x);
   * ```
   */
  drift(p: Interpolant, t: Tensor, x: Tensor): Tensor {
    return driftFromDenoiser(p.coefficients(t), x, this.denoiser(p, t, x));
  }

  /**
   * The score ∇log p_t(x) (Tweedie).
   *
   * @example
   * ```ts
   * gmm.score(linearInterpolant, t, x);
   * ```
   */
  score(p: Interpolant, t: Tensor, x: Tensor): Tensor {
    return scoreFromDenoiser(p.coefficients(t), x, this.denoiser(p, t, x));
  }

  /**
   * One exact draw of p(x_1 | x_t) per row of `x`.
   *
   * @example
   * ```ts
   * const x1 = gmm.samplePosterior(key(2), linearInterpolant, t, xt);
   * ```
   */
  samplePosterior(k: Key, p: Interpolant, t: Tensor, x: Tensor): Tensor {
    const dt = x.dtype as "float32" | "float64";
    const [kc, kn] = split(k);
    const post = this.posterior(p, t, x);
    const comp = categorical(kc, post.logWeights);
    const onehot = cast(
      equal(comp.reshape([-1, 1]), iotaLike(this.size, comp).reshape([1, -1])),
      dt,
    ); // [B, K]
    const mean = sum(post.means.mul(onehot.reshape([-1, this.size, 1])), 1);
    const sd = sum(post.variances.mul(onehot), 1).sqrt().reshape([-1, 1]);
    return mean.add(normal(kn, [x.shape[0], this.dim], { dtype: dt }).mul(sd));
  }

  /**
   * The most responsible component of each point (for mode weights).
   *
   * @example
   * ```ts
   * gmm.assign(samples); // int32 [n]
   * ```
   */
  assign(x: Tensor): Tensor {
    const dt = x.dtype as "float32" | "float64";
    const mu = tensor(this.means.map((m) => [...m]), { dtype: dt });
    const s = tensor([this.variances.map((v) => v)], { dtype: dt });
    const d2 = x.reshape([-1, 1, this.dim]).sub(mu.reshape([1, this.size, this.dim])).square().sum(
      -1,
    ); // [n, K]
    const logits = d2.div(s).mul(-0.5).sub(s.log().mul(this.dim / 2)).add(
      tensor([this.weights.map(Math.log)], { dtype: dt }),
    );
    return argmax(logits, -1);
  }
}

/**
 * The paper's 2-D mixture: weights 1/3, means (−3,−3), (0,0), (3,3), covariance 0.5 I.
 *
 * @example
 * ```ts
 * const gmm = paperGmm();
 * ```
 */
export function paperGmm(): GaussianMixture {
  return new GaussianMixture([1 / 3, 1 / 3, 1 / 3], [[-3, -3], [0, 0], [3, 3]], [0.5, 0.5, 0.5]);
}
