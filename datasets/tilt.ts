/**
 * The exact reward-tilted target of an isotropic mixture under a linear-Gaussian likelihood
 * (MATH-reward §10.1): p*(x) ∝ p(x) N(y; aᵀx, σ²) is again a mixture, with full covariances.
 * Host-side: weights, means, covariances, exact samples and mode assignments.
 *
 * @module
 */

import {
  allocate,
  fromHost,
  type Key,
  normalArray,
  split,
  type Tensor,
  uniformArray,
} from "@mfm/tensor";
import type { GaussianMixture } from "./gmm.ts";

function cholesky(S: readonly (readonly number[])[]): number[][] {
  const d = S.length;
  const L = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = S[i][j];
      for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
      L[i][j] = i === j ? Math.sqrt(s) : s / L[j][j];
    }
  }
  return L;
}

function solveSpd(S: readonly (readonly number[])[], b: readonly number[]): number[] {
  const L = cholesky(S);
  const d = b.length;
  const z = new Array<number>(d).fill(0);
  for (let i = 0; i < d; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[i][k] * z[k];
    z[i] = s / L[i][i];
  }
  const x = new Array<number>(d).fill(0);
  for (let i = d - 1; i >= 0; i--) {
    let s = z[i];
    for (let k = i + 1; k < d; k++) s -= L[k][i] * x[k];
    x[i] = s / L[i][i];
  }
  return x;
}

/** A Gaussian mixture with full covariances (the tilted target). */
export class FullCovMixture {
  /** Dimension. */
  readonly dim: number;

  /** A mixture from weights, means and covariances. */
  constructor(
    /** Weights (sum to 1). */
    readonly weights: readonly number[],
    /** Means. */
    readonly means: readonly (readonly number[])[],
    /** Covariances. */
    readonly covariances: readonly (readonly (readonly number[])[])[],
  ) {
    this.dim = means[0].length;
  }

  /**
   * `n` exact samples `[n, d]`.
   *
   * @example
   * ```ts
   * target.sample(key(0), 4096);
   * ```
   */
  sample(k: Key, n: number): Tensor {
    const [kc, kn] = split(k);
    const u = uniformArray(kc, n);
    const eps = normalArray(kn, n * this.dim);
    const Ls = this.covariances.map(cholesky);
    const cum = this.weights.map((_, i) => this.weights.slice(0, i + 1).reduce((a, b) => a + b, 0));
    const out = allocate("float32", n * this.dim);
    for (let i = 0; i < n; i++) {
      let c = cum.findIndex((w) => u[i] < w);
      if (c < 0) c = this.weights.length - 1;
      for (let r = 0; r < this.dim; r++) {
        let v = this.means[c][r];
        for (let k = 0; k <= r; k++) v += Ls[c][r][k] * eps[i * this.dim + k];
        out[i * this.dim + r] = v;
      }
    }
    return fromHost({ shape: [n, this.dim], dtype: "float32", data: out });
  }

  /**
   * The most responsible component of each point.
   *
   * @example
   * ```ts
   * modeWeights(target.assign(samples), 3);
   * ```
   */
  assign(x: Tensor): Tensor {
    const d = this.dim;
    const data = x.dataSync();
    const n = x.shape[0];
    const logDet = this.covariances.map((S) =>
      2 * cholesky(S).reduce((a, row, i) => a + Math.log(row[i]), 0)
    );
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let best = -Infinity;
      this.weights.forEach((w, c) => {
        const diff = Array.from({ length: d }, (_, j) => data[i * d + j] - this.means[c][j]);
        const sol = solveSpd(this.covariances[c], diff);
        const q = diff.reduce((a, v, j) => a + v * sol[j], 0);
        const score = Math.log(w) - 0.5 * (q + logDet[c]);
        if (score > best) {
          best = score;
          out[i] = c;
        }
      });
    }
    return fromHost({ shape: [n], dtype: "int32", data: out });
  }
}

/**
 * p*(x) ∝ p(x) N(y; aᵀx, σ²) for an isotropic mixture p: component k has covariance
 * Σ_k = (I/s_k + aaᵀ/σ²)⁻¹, mean Σ_k(μ_k/s_k + a y/σ²) and weight ∝ w_k N(y; aᵀμ_k, σ² + s_k|a|²).
 *
 * @example
 * ```ts
 * const target = tiltLinearGaussian(paperGmm(), [1.2, -0.8], -1, 0.2); // weights 0.572 / 0.366 / 0.062
 * ```
 */
export function tiltLinearGaussian(
  gmm: GaussianMixture,
  a: readonly number[],
  y: number,
  sigma: number,
): FullCovMixture {
  const d = gmm.dim;
  if (a.length !== d) {
    throw new RangeError(
      `tiltLinearGaussian: a has ${a.length} entries for a ${d}-dimensional mixture`,
    );
  }
  const a2 = a.reduce((s, v) => s + v * v, 0);
  const logW = gmm.weights.map((w, k) => {
    const s = gmm.variances[k];
    const mean = a.reduce((acc, v, j) => acc + v * gmm.means[k][j], 0);
    const v = sigma * sigma + s * a2;
    return Math.log(w) - 0.5 * Math.log(2 * Math.PI * v) - ((y - mean) ** 2) / (2 * v);
  });
  const m = Math.max(...logW);
  const z = logW.reduce((acc, l) => acc + Math.exp(l - m), 0);
  const covs = gmm.variances.map((s) => {
    // (I/s + aaᵀ/σ²)⁻¹ = s I − s² aaᵀ/(σ² + s|a|²) (Sherman–Morrison)
    const c = (s * s) / (sigma * sigma + s * a2);
    return Array.from(
      { length: d },
      (_, i) => Array.from({ length: d }, (_, j) => (i === j ? s : 0) - c * a[i] * a[j]),
    );
  });
  const means = gmm.means.map((mu, k) => {
    const rhs = mu.map((v, i) => v / gmm.variances[k] + (a[i] * y) / (sigma * sigma));
    return covs[k].map((row) => row.reduce((acc, v, j) => acc + v * rhs[j], 0));
  });
  return new FullCovMixture(logW.map((l) => Math.exp(l - m) / z), means, covs);
}

/** A reward-tilted law known through samples: what steering and fine-tuning are scored against. */
export interface TiltedReference {
  /** Tilted weights of the prior's components. */
  readonly weights: readonly number[];
  /** `n` draws of the tilted law `[n, d]`. */
  sample(k: Key, n: number): Tensor;
  /** The prior's most responsible component per point. */
  assign(x: Tensor): Tensor;
}

/**
 * p*(x) ∝ p(x)e^{r(x)} for any reward, by importance resampling: `pool` exact prior draws
 * weighted by e^{r} (self-normalised); draws resample the pool, component weights sum the
 * weights by component. Its error is the importance sampler's: report the effective sample size
 * (`ess`) beside any score made against it.
 *
 * @example
 * ```ts
 * const ref = resampledTilt(paperGmm(), (x) => ring.reward(x), key(0), 1 << 18);
 * ref.weights; ref.ess; ref.sample(key(1), 4096);
 * ```
 */
export function resampledTilt(
  gmm: GaussianMixture,
  reward: (x: Tensor) => Tensor,
  k: Key,
  pool: number,
): TiltedReference & { readonly ess: number } {
  const x = gmm.sample(k, pool);
  const r = Float64Array.from(reward(x).dataSync());
  if (r.length !== pool) {
    throw new RangeError(`resampledTilt: the reward gave ${r.length} values for ${pool} points`);
  }
  const m = r.reduce((a, v) => Math.max(a, v), -Infinity);
  if (!Number.isFinite(m)) throw new RangeError(`resampledTilt: the largest reward is ${m}`);
  const w = Float64Array.from(r, (v) => Math.exp(v - m));
  const z = w.reduce((a, v) => a + v, 0);
  for (let i = 0; i < pool; i++) w[i] /= z;
  const comp = gmm.assign(x).dataSync();
  const weights = gmm.weights.map(() => 0);
  for (let i = 0; i < pool; i++) weights[comp[i]] += w[i];
  const cum = new Float64Array(pool);
  let acc = 0;
  for (let i = 0; i < pool; i++) cum[i] = acc += w[i];
  const xs = x.dataSync();
  const d = gmm.dim;
  return {
    weights,
    ess: 1 / w.reduce((a, v) => a + v * v, 0),
    sample: (kk, n) => {
      const u = uniformArray(kk, n);
      const out = allocate("float32", n * d);
      for (let i = 0; i < n; i++) {
        // binary search of the cumulative weights
        let lo = 0;
        let hi = pool - 1;
        const t = u[i] * acc;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (cum[mid] < t) lo = mid + 1;
          else hi = mid;
        }
        for (let j = 0; j < d; j++) out[i * d + j] = xs[lo * d + j];
      }
      return fromHost({ shape: [n, d], dtype: "float32", data: out });
    },
    assign: (y) => gmm.assign(y),
  };
}
