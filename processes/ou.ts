/**
 * The stationary Ornstein–Uhlenbeck process dX = θ(μ − X)dt + σ dW, a general process whose
 * every conditional law is Gaussian in closed form — the exactness test of extended MFMs
 * (MATH-core §8). Stationary OU is reversible, so x_τ given x_t is Gaussian for τ on either side.
 *
 * @module
 */

import {
  checkNumber,
  fromHost,
  type Key,
  normalArray,
  split,
  type Tensor,
  uniformArray,
} from "@mfm/tensor";

/** One-observation contexts and targets: (t_obs, x_obs) observed, x at τ to predict. */
export interface ProcessBatch {
  /** Observation times `[B]`. */
  readonly tObs: Tensor;
  /** Observed states `[B, d]`. */
  readonly xObs: Tensor;
  /** Prediction times `[B]`. */
  readonly tau: Tensor;
  /** The true state at τ `[B, d]`. */
  readonly xTau: Tensor;
}

/**
 * A d-dimensional stationary OU process with independent coordinates.
 *
 * @example
 * ```ts
 * const ou = new OrnsteinUhlenbeck({ theta: 1, mu: 0, sigma: 1, dim: 2 });
 * const { mean, variance } = ou.conditional([0.5, -1], 0.3);
 * ```
 */
export class OrnsteinUhlenbeck {
  /** Mean reversion rate θ. */
  readonly theta: number;
  /** Long-run mean μ. */
  readonly mu: number;
  /** Noise scale σ. */
  readonly sigma: number;
  /** Dimension. */
  readonly dim: number;

  /** Validates the parameters. */
  constructor(opts: { theta: number; mu: number; sigma: number; dim: number }) {
    this.theta = checkNumber(opts.theta, "theta", "OrnsteinUhlenbeck", 0, Infinity, {
      minExclusive: true,
    });
    this.mu = checkNumber(opts.mu, "mu", "OrnsteinUhlenbeck");
    this.sigma = checkNumber(opts.sigma, "sigma", "OrnsteinUhlenbeck", 0, Infinity, {
      minExclusive: true,
    });
    if (!Number.isInteger(opts.dim) || opts.dim < 1) {
      throw new RangeError(`OrnsteinUhlenbeck: dim ${opts.dim} must be a positive integer`);
    }
    this.dim = opts.dim;
  }

  /** The stationary variance σ²/(2θ). */
  get stationaryVariance(): number {
    return (this.sigma * this.sigma) / (2 * this.theta);
  }

  /**
   * The law of x_{t+Δ} given x_t = x (any sign of Δ): mean μ + (x − μ)e^{−θ|Δ|}, variance
   * v∞(1 − e^{−2θ|Δ|}) per coordinate.
   *
   * @example
   * ```ts
   * ou.conditional([0, 1], 0.5);
   * ```
   */
  conditional(x: readonly number[], dt: number): { mean: number[]; variance: number } {
    const a = Math.exp(-this.theta * Math.abs(dt));
    return {
      mean: x.map((v) => this.mu + (v - this.mu) * a),
      variance: this.stationaryVariance * (1 - a * a),
    };
  }

  /**
   * `n` (t_obs, x_obs, τ, x_τ) with times uniform in [0, horizon], x_obs stationary and x_τ from the
   * exact conditional. `obsScale` > 1 widens the law of x_obs (its spread × obsScale): the pairs
   * still follow the exact conditional, so a conditional model learns the same target, with
   * more training data in the tails.
   *
   * @example
   * ```ts
   * const batch = ou.samplePairs(key(0), 1024, 2);
   * ```
   */
  samplePairs(k: Key, n: number, horizon = 2, obsScale = 1): ProcessBatch {
    const [k1, k2, k3, k4] = split(k, 4);
    const d = this.dim;
    const tObs = uniformArray(k1, n).map((v) => v * horizon);
    const tau = uniformArray(k2, n).map((v) => v * horizon);
    const z0 = normalArray(k3, n * d);
    const z1 = normalArray(k4, n * d);
    const xObs = new Float32Array(n * d);
    const xTau = new Float32Array(n * d);
    const sd = Math.sqrt(this.stationaryVariance);
    for (let i = 0; i < n; i++) {
      const a = Math.exp(-this.theta * Math.abs(tau[i] - tObs[i]));
      for (let j = 0; j < d; j++) {
        const xo = this.mu + obsScale * sd * z0[i * d + j];
        xObs[i * d + j] = xo;
        xTau[i * d + j] = this.mu + (xo - this.mu) * a + sd * Math.sqrt(1 - a * a) * z1[i * d + j];
      }
    }
    return {
      tObs: fromHost({ shape: [n], dtype: "float32", data: Float32Array.from(tObs) }),
      xObs: fromHost({ shape: [n, d], dtype: "float32", data: xObs }),
      tau: fromHost({ shape: [n], dtype: "float32", data: Float32Array.from(tau) }),
      xTau: fromHost({ shape: [n, d], dtype: "float32", data: xTau }),
    };
  }
}
