/**
 * A stochastic advection–diffusion field on a periodic n×n grid — the "weather" general process.
 * The field is a sum of Fourier modes |k_x|, |k_y| ≤ K; each mode is advected with the
 * trajectory's wind c (a phase rotation ω = 2π k·c/n), damped at γ_k = λ + κ(2π|k|/n)² and
 * forced by white noise with a smooth stationary spectrum. Every transition is exact (no time
 * stepping): given the field and the wind, the field at any later time is Gaussian in closed form,
 * so true ensembles and the exact covariance are at hand for scoring. The wind is drawn per
 * trajectory and not observed: one field says nothing about it, two fields pin it down.
 *
 * @module
 */

import { checkNumber, type Key, normalArray, split, uniformArray } from "@mfm/tensor";

/** Options of `AdvectionDiffusion`. */
export interface AdvectionDiffusionOptions {
  /** Grid side n; default 12. */
  grid?: number;
  /** Largest wave number K per axis (K < n/2); default 3. */
  modes?: number;
  /** Damping λ of every mode; default 0.15. */
  damping?: number;
  /** Diffusivity κ; default 0.1. */
  diffusivity?: number;
  /** Length scale ℓ of the stationary spectrum exp(−|k|²/(2ℓ²)); default 1.5. */
  lengthScale?: number;
  /** Wind speed range in cells per unit time (direction uniform); default [0.5, 2]. */
  speed?: readonly [number, number];
}

/**
 * The field process. States are Fourier coefficients (`coefDim` per field: the mean, then a cos
 * and a sin coefficient per half-plane mode); `fields` maps them to grid values (row-major).
 *
 * @example
 * ```ts
 * const w = new AdvectionDiffusion();
 * const c0 = w.stationary(key(0), 4);          // 4 fields' coefficients
 * const wind = w.winds(key(1), 4);
 * const c1 = w.advance(key(2), c0, wind, [0.5, 0.5, 1, 2]);
 * const grids = w.fields(c1);                  // [4 × 144] values
 * ```
 */
export class AdvectionDiffusion {
  /** Grid side n. */
  readonly grid: number;
  /** Values per field, n². */
  readonly size: number;
  /** Coefficients per field. */
  readonly coefDim: number;
  /** Wind speed range. */
  readonly speed: readonly [number, number];
  /** Half-plane wave vectors (k_x, k_y), the mean mode first as (0, 0). */
  readonly waves: readonly (readonly [number, number])[];
  /** Damping γ per wave. */
  readonly gamma: Float64Array;
  /** Stationary sd per coefficient (pointwise stationary variance 1). */
  readonly sd: Float64Array;
  /** Orthonormal basis `[coefDim × size]`: fields = coefficients · basis. */
  readonly basis: Float64Array;

  /** Validates the options and builds the basis. */
  constructor(opts: AdvectionDiffusionOptions = {}) {
    const n = opts.grid ?? 12;
    const K = opts.modes ?? 3;
    if (!Number.isInteger(n) || n < 4) {
      throw new RangeError(`AdvectionDiffusion: grid ${n} must be an integer ≥ 4`);
    }
    if (!Number.isInteger(K) || K < 1 || 2 * K >= n) {
      throw new RangeError(`AdvectionDiffusion: modes ${K} must be an integer in [1, grid/2)`);
    }
    const lambda = checkNumber(opts.damping ?? 0.15, "damping", "AdvectionDiffusion", 0, Infinity, {
      minExclusive: true,
    });
    const kappa = checkNumber(opts.diffusivity ?? 0.1, "diffusivity", "AdvectionDiffusion", 0);
    const ell = checkNumber(
      opts.lengthScale ?? 1.5,
      "lengthScale",
      "AdvectionDiffusion",
      0,
      Infinity,
      {
        minExclusive: true,
      },
    );
    const speed = opts.speed ?? [0.5, 2];
    if (!(speed[0] >= 0 && speed[1] >= speed[0])) {
      throw new RangeError(`AdvectionDiffusion: speed [${speed}] must be 0 ≤ low ≤ high`);
    }
    this.grid = n;
    this.size = n * n;
    this.speed = speed;
    const waves: [number, number][] = [[0, 0]];
    for (let ky = 0; ky <= K; ky++) {
      for (let kx = -K; kx <= K; kx++) if (ky > 0 || kx > 0) waves.push([kx, ky]);
    }
    this.waves = waves;
    this.coefDim = 2 * waves.length - 1;
    this.gamma = Float64Array.from(
      waves,
      ([kx, ky]) => lambda + kappa * (2 * Math.PI / n) ** 2 * (kx * kx + ky * ky),
    );
    // spectrum per coefficient; scaled so Σ sd² = n² (pointwise variance 1, as the basis is
    // orthonormal over the n² grid points)
    const sd = new Float64Array(this.coefDim);
    waves.forEach(([kx, ky], m) => {
      const s = Math.exp(-(kx * kx + ky * ky) / (2 * ell * ell));
      if (m === 0) sd[0] = s;
      else sd[2 * m - 1] = sd[2 * m] = s;
    });
    const total = sd.reduce((a, v) => a + v, 0);
    for (let i = 0; i < sd.length; i++) sd[i] = Math.sqrt((sd[i] / total) * this.size);
    this.sd = sd;
    const basis = new Float64Array(this.coefDim * this.size);
    for (let r = 0; r < n; r++) {
      for (let q = 0; q < n; q++) {
        const p = r * n + q;
        basis[p] = 1 / n;
        waves.forEach(([kx, ky], m) => {
          if (m === 0) return;
          const th = (2 * Math.PI * (kx * q + ky * r)) / n;
          basis[(2 * m - 1) * this.size + p] = (Math.SQRT2 / n) * Math.cos(th);
          basis[2 * m * this.size + p] = (Math.SQRT2 / n) * Math.sin(th);
        });
      }
    }
    this.basis = basis;
  }

  /** `count` stationary fields' coefficients `[count × coefDim]`. */
  stationary(k: Key, count: number): Float64Array {
    const z = normalArray(k, count * this.coefDim);
    for (let i = 0; i < z.length; i++) z[i] *= this.sd[i % this.coefDim];
    return z;
  }

  /** `count` winds `[count × 2]` (c_x, c_y): uniform direction, speed uniform in `speed`. */
  winds(k: Key, count: number): Float64Array {
    const u = uniformArray(k, 2 * count);
    const out = new Float64Array(2 * count);
    for (let i = 0; i < count; i++) {
      const a = 2 * Math.PI * u[2 * i];
      const s = this.speed[0] + (this.speed[1] - this.speed[0]) * u[2 * i + 1];
      out[2 * i] = s * Math.cos(a);
      out[2 * i + 1] = s * Math.sin(a);
    }
    return out;
  }

  /**
   * The exact conditional mean of the coefficients `lag` later (row i: wind i, lag i); with
   * `k`, adds the exact Gaussian noise (an exact draw). Negative lags are refused: the wind
   * makes the process irreversible.
   */
  advance(
    k: Key | null,
    coef: Float64Array,
    wind: Float64Array,
    lags: ArrayLike<number>,
  ): Float64Array {
    const D = this.coefDim;
    const count = coef.length / D;
    if (!Number.isInteger(count) || wind.length !== 2 * count || lags.length !== count) {
      throw new RangeError(
        `AdvectionDiffusion.advance: ${coef.length} coefficients, ${wind.length / 2} winds and ` +
          `${lags.length} lags do not describe one batch of ${D}-coefficient fields`,
      );
    }
    const z = k ? normalArray(k, coef.length) : null;
    const out = new Float64Array(coef.length);
    for (let i = 0; i < count; i++) {
      const h = lags[i];
      if (!(h >= 0)) throw new RangeError(`AdvectionDiffusion.advance: lag ${h} must be ≥ 0`);
      const o = i * D;
      this.waves.forEach(([kx, ky], m) => {
        const decay = Math.exp(-this.gamma[m] * h);
        const noise = Math.sqrt(1 - decay * decay);
        if (m === 0) {
          out[o] = decay * coef[o] + (z ? noise * this.sd[0] * z[o] : 0);
          return;
        }
        const w = (2 * Math.PI * (kx * wind[2 * i] + ky * wind[2 * i + 1])) / this.grid;
        const [cs, sn] = [Math.cos(w * h), Math.sin(w * h)];
        const a = coef[o + 2 * m - 1];
        const b = coef[o + 2 * m];
        const s = noise * this.sd[2 * m];
        out[o + 2 * m - 1] = decay * (a * cs - b * sn) + (z ? s * z[o + 2 * m - 1] : 0);
        out[o + 2 * m] = decay * (a * sn + b * cs) + (z ? s * z[o + 2 * m] : 0);
      });
    }
    return out;
  }

  /** Variance of each coefficient `lag` after a known state (the same for every wind). */
  conditionalVariance(lag: number): Float64Array {
    return Float64Array.from(this.sd, (s, i) => {
      const g = this.gamma[i === 0 ? 0 : Math.ceil(i / 2)];
      return s * s * (1 - Math.exp(-2 * g * lag));
    });
  }

  /** The covariance `[size × size]` of the field `lag` after a known state. */
  fieldCovariance(lag: number): Float64Array {
    const v = this.conditionalVariance(lag);
    const S = this.size;
    const out = new Float64Array(S * S);
    for (let c = 0; c < this.coefDim; c++) {
      const row = this.basis.subarray(c * S, (c + 1) * S);
      for (let p = 0; p < S; p++) {
        const a = v[c] * row[p];
        for (let q = 0; q < S; q++) out[p * S + q] += a * row[q];
      }
    }
    return out;
  }

  /** Grid values `[count × size]` of coefficients `[count × coefDim]`. */
  fields(coef: Float64Array): Float64Array {
    const D = this.coefDim;
    const S = this.size;
    const count = coef.length / D;
    const out = new Float64Array(count * S);
    for (let i = 0; i < count; i++) {
      for (let c = 0; c < D; c++) {
        const a = coef[i * D + c];
        const row = this.basis.subarray(c * S, (c + 1) * S);
        for (let p = 0; p < S; p++) out[i * S + p] += a * row[p];
      }
    }
    return out;
  }

  /** Coefficients of grid values (the projection; exact for fields of this process). */
  coefficients(values: Float64Array): Float64Array {
    const D = this.coefDim;
    const S = this.size;
    const count = values.length / S;
    const out = new Float64Array(count * D);
    for (let i = 0; i < count; i++) {
      for (let c = 0; c < D; c++) {
        let acc = 0;
        for (let p = 0; p < S; p++) acc += values[i * S + p] * this.basis[c * S + p];
        out[i * D + c] = acc;
      }
    }
    return out;
  }
}

/** One batch of weather scenarios: two observed fields, a lag, the truth and what is hidden. */
export interface WeatherScenarios {
  /** The field at t = 0 `[count × size]` (zeros where only one field is observed). */
  readonly first: Float64Array;
  /** The field at t = Δ `[count × size]`. */
  readonly second: Float64Array;
  /** 1 where both fields are observed, 0 where only the second. */
  readonly both: Float64Array;
  /** Lags τ − Δ. */
  readonly lag: Float64Array;
  /** The true field at τ `[count × size]`. */
  readonly truth: Float64Array;
  /** Hidden: the coefficients at Δ and the wind, for exact ensembles. */
  readonly hidden: { readonly coef: Float64Array; readonly wind: Float64Array };
}

/**
 * Draws scenarios: a stationary field at 0, its exact evolution to Δ and to Δ + lag under a
 * random wind; with probability `oneFieldRate` the first field is withheld.
 *
 * @example
 * ```ts
 * const s = weatherScenarios(new AdvectionDiffusion(), key(0), 256, { delta: 0.5, maxLag: 2 });
 * ```
 */
export function weatherScenarios(
  w: AdvectionDiffusion,
  k: Key,
  count: number,
  opts: { delta: number; maxLag: number; oneFieldRate?: number; lags?: ArrayLike<number> },
): WeatherScenarios {
  const [k0, kw, k1, k2, kl, kb] = split(k, 6);
  const c0 = w.stationary(k0, count);
  const wind = w.winds(kw, count);
  const c1 = w.advance(k1, c0, wind, new Float64Array(count).fill(opts.delta));
  const lag = opts.lags
    ? Float64Array.from(opts.lags)
    : Float64Array.from(uniformArray(kl, count), (u) => u * opts.maxLag);
  const c2 = w.advance(k2, c1, wind, lag);
  const rate = opts.oneFieldRate ?? 0;
  const both = Float64Array.from(uniformArray(kb, count), (u) => (u < rate ? 0 : 1));
  const first = w.fields(c0);
  for (let i = 0; i < count; i++) if (!both[i]) first.fill(0, i * w.size, (i + 1) * w.size);
  return {
    first,
    second: w.fields(c1),
    both,
    lag,
    truth: w.fields(c2),
    hidden: { coef: c1, wind },
  };
}
