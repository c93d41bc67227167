/**
 * Steered samplers (MATH-reward §6, §9): the steered probability-flow ODE (Algorithm 3) and SDE
 * (Algorithm 6) with any `ValueGradEstimator`, guidance scale ζ and optional drift
 * normalisation; twisted SMC (TDS) and Best-of-N. Every result carries its NFE count per sample
 * and its wall time.
 *
 * @module
 */

import {
  foldIn,
  full,
  jit,
  type Key,
  normal,
  split,
  type Tensor,
  tensor,
  type Tree,
  uniform,
} from "@mfm/tensor";
import { diffusionSq, type Interpolant, perSample } from "@mfm/interpolants";
import { flowSegment, mfmDrift, type StochasticFlowMap } from "@mfm/flowmaps";
import type { RewardModel } from "@mfm/rewards";
import { kStepSample } from "@mfm/samplers";
import type { ValueGradEstimator } from "./estimators.ts";

/** A sampler's output. */
export interface SteeredResult {
  /** Final states `[n, d]`. */
  readonly samples: Tensor;
  /** Function evaluations per sample. */
  readonly nfe: number;
  /** Wall time in seconds. */
  readonly seconds: number;
}

/** Options of the steered ODE / SDE. */
export interface SteerOptions {
  /**
   * Base flow. Its drift is v_{t,t}(x; 0, x₀) with x₀ an N(0, I) draw per particle from the
   * sampler's key, held along the path: the t = 0 context an ungated MFM was trained on.
   */
  mfm: StochasticFlowMap;
  /** The interpolant. */
  interpolant: Interpolant;
  /** ∇V estimator; none gives the base sampler. */
  estimator?: ValueGradEstimator;
  /** Guidance scale ζ; default 1 (exact Doob transform). */
  zeta?: number;
  /** Euler steps K. */
  steps: number;
  /** Start time; default 0 (ODE) and 0.01 (SDE). */
  t0?: number;
  /** Normalise the correction against the drift (§6, (129)): rescale or clip with constant c. */
  normalize?: { mode: "rescale" | "clip"; c?: number };
  /**
   * ODE base transport: "euler" steps x + h·b_t(x) (default) or "segment", the MFM's own jump
   * X_{t,t+h}(x; 0, ·) (MATH-core (50)) — the same one network call, exact transport for a
   * perfect flow map, so few-step steering keeps sharp samples.
   */
  transport?: "euler" | "segment";
  /**
   * Particles per compiled call (all at once by default): bounds the memory of estimators that
   * hold N posterior draws per particle for a backward pass; one compilation serves every chunk.
   */
  chunk?: number;
}

function normalizeCorrection(
  u: Tensor,
  drift: Tensor,
  mode: "rescale" | "clip",
  c: number,
): Tensor {
  const nu = u.square().sum(-1, true).sqrt().add(1e-12);
  const nb = drift.square().sum(-1, true).sqrt();
  const ratio = nb.mul(c).div(nu);
  return u.mul(mode === "rescale" ? ratio : ratio.minimum(1));
}

function run(
  kind: "ode" | "sde",
  opts: SteerOptions,
  k: Key,
  n: number,
  dim: number,
): SteeredResult {
  if (!Number.isInteger(opts.steps) || opts.steps < 1) {
    throw new RangeError(`steered ${kind}: steps ${opts.steps} must be a positive integer`);
  }
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`steered ${kind}: ${n} particles must be a positive integer`);
  }
  const start = performance.now();
  const p = opts.interpolant;
  const zeta = opts.zeta ?? 1;
  if (!Number.isFinite(zeta)) throw new RangeError(`steered ${kind}: zeta ${zeta} must be finite`);
  const t0 = opts.t0 ?? (kind === "ode" ? 0 : 0.01);
  const h = (1 - t0) / opts.steps;
  const est = opts.estimator;
  const segment = (opts.transport ?? "euler") === "segment";
  if (segment && kind === "sde") {
    throw new RangeError('steered sde: transport "segment" is for the ODE');
  }
  // x0: the base drift's t = 0 context, one N(0, I) draw per particle held for its whole path,
  // independent of its state: what an ungated MFM was trained on (zeros are far off in high
  // dimension, and the particle's own starting noise is correlated with its state)
  const step = jit((x: Tensor, t: Tensor, noise: Tree, xi: Tensor, x0: Tensor) => {
    const c = p.coefficients(t);
    let next: Tensor;
    let drift: Tensor;
    if (segment) {
      next = flowSegment(opts.mfm, t, h, x, x0);
      drift = next.sub(x).mul(1 / h); // the segment's mean drift, for normalisation
    } else {
      const b = mfmDrift(opts.mfm, t, x, x0);
      // ODE: b + ζu;  SDE: f + 2ζu + g√h ξ with f = 2b − (β̇/β)x
      drift = kind === "ode" ? b : b.mul(2).sub(x.mul(perSample(c.dBeta.div(c.beta), x)));
      next = x.add(drift.mul(h));
    }
    if (est) {
      let u = est.estimate(noise, t, x, x0).correction.mul(kind === "ode" ? zeta : 2 * zeta);
      if (opts.normalize) {
        u = normalizeCorrection(u, drift, opts.normalize.mode, opts.normalize.c ?? 1);
      }
      next = next.add(u.mul(h));
    }
    if (kind === "sde") {
      next = next.add(xi.mul(perSample(diffusionSq(c).sqrt(), xi)).mul(Math.sqrt(h)));
    }
    return next;
  });
  const integrate = (kk: Key, m: number): Tensor => {
    const keys = split(kk, 2 * opts.steps + 2);
    let x = normal(keys[0], [m, dim]);
    const x0 = normal(keys[2 * opts.steps + 1], [m, dim]);
    for (let i = 0; i < opts.steps; i++) {
      const t = full([m], t0 + i * h);
      const noise = est ? est.noise(keys[2 * i + 1], m, dim) : [];
      const xi = kind === "sde" ? normal(keys[2 * i + 2], [m, dim]) : full([1], 0);
      x = step(x, t, noise, xi, x0);
    }
    return x;
  };
  const chunk = opts.chunk ?? n;
  if (!Number.isInteger(chunk) || chunk < 1) {
    throw new RangeError(`steered ${kind}: chunk ${chunk} must be a positive integer`);
  }
  let x: Tensor;
  if (chunk >= n) x = integrate(k, n);
  else {
    // independent particles, `chunk` at a time through the same compiled step
    const out = new Float32Array(n * dim);
    for (let c = 0; c < n; c += chunk) {
      const m = Math.min(chunk, n - c);
      out.set(integrate(foldIn(k, c), m).dataSync(), c * dim);
    }
    x = tensor(out, { shape: [n, dim] });
  }
  x.dataSync();
  return {
    samples: x,
    nfe: opts.steps * (1 + (est?.nfe ?? 0)),
    seconds: (performance.now() - start) / 1000,
  };
}

/**
 * Algorithm 3: x ~ N(0, I), x ← x + h(b_t(x) + ζ(g²/2)∇V̂_t(x)) on a uniform grid.
 *
 * @example
 * ```ts
 * const { samples, nfe } = steeredOde({ mfm, interpolant: linearInterpolant, estimator: g, steps: 100 }, key(0), 4096, 2);
 * ```
 */
export function steeredOde(opts: SteerOptions, k: Key, n: number, dim: number): SteeredResult {
  return run("ode", opts, k, n, dim);
}

/**
 * Algorithm 6: Euler–Maruyama of dX = [f_t + ζ g²∇V̂_t] dt + g dW from t0 = 0.01.
 *
 * @example
 * ```ts
 * const { samples } = steeredSde({ mfm, interpolant: linearInterpolant, estimator: gf, steps: 100 }, key(0), 4096, 2);
 * ```
 */
export function steeredSde(opts: SteerOptions, k: Key, n: number, dim: number): SteeredResult {
  return run("sde", opts, k, n, dim);
}

/**
 * Best-of-N: per output, N independent K-step MFM samples, keep the highest reward.
 *
 * @example
 * ```ts
 * bestOfN(mfm, linearInterpolant, reward, { n: 16, steps: 4 }, key(0), 4096, 2);
 * ```
 */
export function bestOfN(
  mfm: StochasticFlowMap,
  p: Interpolant,
  reward: RewardModel,
  opts: { n: number; steps: number },
  k: Key,
  count: number,
  dim: number,
): SteeredResult {
  if (!Number.isInteger(opts.n) || opts.n < 1) {
    throw new RangeError(`bestOfN: n ${opts.n} must be a positive integer`);
  }
  const start = performance.now();
  // compiled draws and rewards: op-by-op execution of a big network or reward is slow
  const draw = jit((eps: Tensor, t: Tensor, xt: Tensor) =>
    mfm.map(t.mul(0), t.mul(0).add(1), eps, t, xt)
  );
  const sampler = (kk: Key, t: Tensor, xt: Tensor) => draw(normal(kk, [...xt.shape]), t, xt);
  const pool = kStepSample(sampler, p, k, [count * opts.n, dim], opts.steps);
  const r = jit((x: Tensor) => reward.reward(x))(pool).reshape([count, opts.n]).dataSync();
  const data = pool.dataSync();
  const out = new Float32Array(count * dim);
  for (let i = 0; i < count; i++) {
    let best = 0;
    for (let j = 1; j < opts.n; j++) if (r[i * opts.n + j] > r[i * opts.n + best]) best = j;
    for (let c = 0; c < dim; c++) out[i * dim + c] = data[(i * opts.n + best) * dim + c];
  }
  return {
    samples: fromArray(out, count, dim),
    nfe: opts.n * (opts.steps + 1),
    seconds: (performance.now() - start) / 1000,
  };
}

function fromArray(data: Float32Array, rows: number, cols: number): Tensor {
  return tensor(data, { shape: [rows, cols] });
}

/**
 * Twisted SMC (TDS, Wu et al. 2023) on the SDE (14): P particles from t0, twist
 * p̃_t(x) = e^{r(D_t(x))} (from the DPS estimator's r(D) and its gradient), proposal shifted by g²∇log p̃, incremental weights, systematic
 * resampling when ESS < P/2, and a final multinomial resample.
 *
 * @example
 * ```ts
 * tds(mfm, linearInterpolant, dpsEstimator(mfm, reward, linearInterpolant), { steps: 100 }, key(0), 4096, 2);
 * ```
 */
export function tds(
  mfm: StochasticFlowMap,
  p: Interpolant,
  dps: ValueGradEstimator,
  opts: { steps: number; t0?: number },
  k: Key,
  n: number,
  dim: number,
): SteeredResult {
  const start = performance.now();
  const t0 = opts.t0 ?? 0.01;
  const h = (1 - t0) / opts.steps;
  // one step: proposal and the log-weight increment
  // x0: each particle's t = 0 context of the base drift (as in `run`), resampled with it
  const step = jit((x: Tensor, t: Tensor, tNext: Tensor, xi: Tensor, x0: Tensor) => {
    const c = p.coefficients(t);
    const g2 = diffusionSq(c);
    const f = mfmDrift(mfm, t, x, x0).mul(2).sub(x.mul(perSample(c.dBeta.div(c.beta), x)));
    const est = dps.estimate([], t, x, x0);
    const mp = x.add(f.mul(h));
    const mq = mp.add(est.correction.mul(2 * h)); // g²∇log p̃ = 2·(g²/2)∇r(D)
    const next = mq.add(xi.mul(perSample(g2.mul(h).sqrt(), xi)));
    const var_ = perSample(g2.mul(h), next);
    const logp = next.sub(mp).square().div(var_).sum(-1).mul(-0.5);
    const logq = next.sub(mq).square().div(var_).sum(-1).mul(-0.5);
    const twistNext = dps.estimate([], tNext, next, x0).logValue;
    return { next, logInc: logp.sub(logq).add(twistNext).sub(est.logValue) };
  });
  const keys = split(k, 2 * opts.steps + 3);
  let x = normal(keys[0], [n, dim]);
  let x0 = normal(keys[2 * opts.steps + 2], [n, dim]);
  let logW = Array.from(dps.estimate([], full([n], t0), x, x0).logValue.dataSync());
  for (let i = 0; i < opts.steps; i++) {
    const t = full([n], t0 + i * h);
    const r = step(
      x,
      t,
      full([n], Math.min(t0 + (i + 1) * h, 1 - 1e-6)),
      normal(keys[2 * i + 1], [n, dim]),
      x0,
    );
    x = r.next;
    const inc = r.logInc.dataSync();
    logW = logW.map((w, j) => w + inc[j]);
    const { w, ess } = normalizeWeights(logW);
    if (ess < n / 2 && i < opts.steps - 1) {
      const idx = systematic(w, uniform(keys[2 * i + 2], [1], { dtype: "float64" }).dataSync()[0]);
      x = gatherRows(x, idx);
      x0 = gatherRows(x0, idx);
      logW = new Array(n).fill(0);
    }
  }
  const { w } = normalizeWeights(logW);
  const u = uniform(keys[2 * opts.steps + 1], [n], { dtype: "float64" }).dataSync();
  const cum = w.map((_, i) => w.slice(0, i + 1).reduce((a, b) => a + b, 0));
  const idx = Array.from(u, (v) => Math.max(0, Math.min(n - 1, cum.findIndex((c) => v < c))));
  x = gatherRows(x, idx);
  x.dataSync();
  return {
    samples: x,
    nfe: opts.steps * (1 + 2 * dps.nfe),
    seconds: (performance.now() - start) / 1000,
  };
}

function normalizeWeights(logW: number[]): { w: number[]; ess: number } {
  const m = Math.max(...logW);
  const e = logW.map((l) => Math.exp(l - m));
  const s = e.reduce((a, b) => a + b, 0);
  const w = e.map((v) => v / s);
  return { w, ess: 1 / w.reduce((a, v) => a + v * v, 0) };
}

function systematic(w: number[], u0: number): number[] {
  const n = w.length;
  const idx: number[] = [];
  let cum = w[0];
  let j = 0;
  for (let i = 0; i < n; i++) {
    const u = (i + u0) / n;
    while (u > cum && j < n - 1) cum += w[++j];
    idx.push(j);
  }
  return idx;
}

function gatherRows(x: Tensor, idx: readonly number[]): Tensor {
  const [, d] = x.shape;
  const data = x.dataSync();
  const out = new Float32Array(idx.length * d);
  idx.forEach((r, i) => out.set(data.subarray(r * d, (r + 1) * d), i * d));
  return fromArray(out, idx.length, d);
}
