/**
 * Scoring MNIST samples with the classifier: classes and confidences, the class PMF and its L2
 * distance to target weights, classifier-feature FID, and K-step unconditional sampling
 * (Algorithm 1 on the linear path) in chunks, so memory stays bounded for any count.
 *
 * @module
 */

import {
  flowSegment,
  foldIn,
  frechetDistance,
  full,
  jit,
  type Key,
  mnistImages,
  type MnistSplit,
  normal,
  softmax,
  split,
  type StochasticFlowMap,
  type Tensor,
  tensor,
  uniformArray,
} from "../../mod.ts";
import { classifierFeatures, classifierLogits, type ClassifierParams } from "./classifier.ts";

/** Host rows `[count × 784]` → per-chunk tensors through `f`, results concatenated on the host. */
function mapChunks(
  rows: Float32Array,
  chunk: number,
  f: (x: Tensor) => Tensor,
): Float32Array {
  const count = rows.length / 784;
  const out: Float32Array[] = [];
  for (let i = 0; i < count; i += chunk) {
    const m = Math.min(chunk, count - i);
    out.push(
      Float32Array.from(
        f(tensor(rows.subarray(i * 784, (i + m) * 784), { shape: [m, 784] })).dataSync(),
      ),
    );
  }
  const all = new Float32Array(out.reduce((a, o) => a + o.length, 0));
  let at = 0;
  for (const o of out) {
    all.set(o, at);
    at += o.length;
  }
  return all;
}

/** What the classifier says about images. */
export interface Classified {
  /** Predicted class per image. */
  readonly classes: Int32Array;
  /** Probability of the predicted class. */
  readonly confidence: Float32Array;
  /** Class PMF (fractions of images per class). */
  readonly pmf: number[];
  /** Class probabilities p(c | x), `[count × 10]` row-major. */
  readonly probs: Float32Array;
}

/**
 * Classifies images `[count × 784]` (values clipped to [−1, 1], as an image would be stored).
 *
 * @example
 * ```ts
 * const { pmf, confidence } = classify(clf, samples);
 * ```
 */
export function classify(clf: ClassifierParams, images: Float32Array): Classified {
  const f = jit((p: ClassifierParams, x: Tensor) =>
    softmax(classifierLogits(p, x.maximum(-1).minimum(1)), -1)
  );
  const probs = mapChunks(images, 500, (x) => f(clf, x));
  const count = images.length / 784;
  const classes = new Int32Array(count);
  const confidence = new Float32Array(count);
  const pmf = new Array(10).fill(0);
  for (let i = 0; i < count; i++) {
    let best = 0;
    for (let c = 1; c < 10; c++) if (probs[i * 10 + c] > probs[i * 10 + best]) best = c;
    classes[i] = best;
    confidence[i] = probs[i * 10 + best];
    pmf[best] += 1 / count;
  }
  return { classes, confidence, pmf, probs };
}

/**
 * The class PMF that exact steering of the sampler that drew `c`'s images would reach: the
 * reward-tilted law p(x)·Σ_k w_k p(k | x) (r = log Σ_k w_k p(k | x)), by self-normalised importance
 * weights e^{r(x_i)} on those draws, labels by argmax. With the sampler's own class imbalance in it,
 * this — not w — is what a perfect value-gradient estimator converges to; `ess` is the weights'
 * effective sample size (Σw)²/Σw².
 *
 * @example
 * ```ts
 * const { pmf, ess } = tiltedPmf(classify(clf, baseSamples), TARGET);
 * ```
 */
export function tiltedPmf(c: Classified, w: readonly number[]): { pmf: number[]; ess: number } {
  if (w.length !== 10 || w.some((v) => !(v >= 0)) || !w.some((v) => v > 0)) {
    throw new RangeError(`tiltedPmf: weights [${w}] must be 10 non-negative numbers, not all 0`);
  }
  const pmf = new Array(10).fill(0);
  let [sum, sq] = [0, 0];
  for (let i = 0; i < c.classes.length; i++) {
    let e = 0;
    for (let k = 0; k < 10; k++) e += w[k] * c.probs[i * 10 + k];
    pmf[c.classes[i]] += e;
    sum += e;
    sq += e * e;
  }
  if (!(sum > 0)) throw new RangeError("tiltedPmf: every image has zero reward weight");
  return { pmf: pmf.map((v) => v / sum), ess: (sum * sum) / sq };
}

/**
 * The classifier's 128-d features of images `[count × 784]` (clipped to [−1, 1]).
 *
 * @example
 * ```ts
 * const f = features(clf, samples); // count × 128
 * ```
 */
export function features(clf: ClassifierParams, images: Float32Array): Float32Array {
  const f = jit((p: ClassifierParams, x: Tensor) =>
    classifierFeatures(p, x.maximum(-1).minimum(1))
  );
  return mapChunks(images, 500, (x) => f(clf, x));
}

/**
 * Classifier-feature FID of images against reference features.
 *
 * @example
 * ```ts
 * const fid = classifierFid(clf, samples, features(clf, testImages));
 * ```
 */
export function classifierFid(
  clf: ClassifierParams,
  images: Float32Array,
  reference: Float32Array,
): number {
  return frechetDistance(features(clf, images), reference, 128);
}

/**
 * L2 distance between a class PMF and target weights (normalised).
 *
 * @example
 * ```ts
 * pmfL2(pmf, [0, .1, 0, .1, 0, .2, 0, .2, 0, .4]);
 * ```
 */
export function pmfL2(pmf: readonly number[], target: readonly number[]): number {
  const z = target.reduce((a, b) => a + b, 0);
  return Math.sqrt(pmf.reduce((a, p, c) => a + (p - target[c] / z) ** 2, 0));
}

/**
 * The L2 distance between the *law* behind an empirical PMF of `n` draws and the target, with the
 * sampling noise taken out: √max(0, |p̂ − w|² − Σ_c p̂_c(1 − p̂_c)/(n − 1)). The square is an
 * unbiased estimate of |p − w|² (E|p̂ − w|² = |p − w|² + Σ p(1 − p)/n), so tables of a few hundred
 * particles estimate what the paper's 4096-sample metric measures, not their own floor.
 *
 * @example
 * ```ts
 * pmfL2Debiased(pmf, [0, .1, 0, .1, 0, .2, 0, .2, 0, .4], 384);
 * ```
 */
export function pmfL2Debiased(
  pmf: readonly number[],
  target: readonly number[],
  n: number,
): number {
  if (!(n > 1)) throw new RangeError(`pmfL2Debiased: n ${n} must be a sample size > 1`);
  const noise = pmf.reduce((a, p) => a + p * (1 - p), 0) / (n - 1);
  return Math.sqrt(Math.max(0, pmfL2(pmf, target) ** 2 - noise));
}

/**
 * The spread (standard deviation) of `pmfL2Debiased` for `n` draws, by a parametric bootstrap:
 * `reps` PMFs of `n` draws from `pmf`, keyed from `k`. An error bar for a table's row.
 *
 * @example
 * ```ts
 * const sd = pmfL2Spread(pmf, TARGET, 384, key(0)); // report pmfL2Debiased(…) ± sd
 * ```
 */
export function pmfL2Spread(
  pmf: readonly number[],
  target: readonly number[],
  n: number,
  k: Key,
  reps = 200,
): number {
  if (!Number.isInteger(n) || n < 2 || !Number.isInteger(reps) || reps < 2) {
    throw new RangeError(`pmfL2Spread: n ${n} and reps ${reps} must be integers ≥ 2`);
  }
  const z = pmf.reduce((a, b) => a + b, 0);
  const cum = pmf.map((_, i) => pmf.slice(0, i + 1).reduce((a, b) => a + b, 0) / z);
  const values = Array.from({ length: reps }, (_, r) => {
    const draw = new Array(pmf.length).fill(0);
    for (const u of uniformArray(foldIn(k, r), n)) {
      const c = cum.findIndex((c) => u < c);
      draw[c < 0 ? pmf.length - 1 : c] += 1 / n; // u above a rounded last sum
    }
    return pmfL2Debiased(draw, target, n);
  });
  const mean = values.reduce((a, b) => a + b, 0) / reps;
  return Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (reps - 1));
}

/**
 * The expected L2 error of the PMF of `n` exact draws from `target` (the sampling floor):
 * √(Σ_c p_c(1 − p_c)/n).
 *
 * @example
 * ```ts
 * pmfFloor([0, .1, 0, .1, 0, .2, 0, .2, 0, .4], 512); // ≈ 0.038
 * ```
 */
export function pmfFloor(target: readonly number[], n: number): number {
  const z = target.reduce((a, b) => a + b, 0);
  return Math.sqrt(target.reduce((a, w) => a + (w / z) * (1 - w / z), 0) / n);
}

/**
 * How unconditional samples are drawn: "refine" is Algorithm 1 (a one-step posterior draw from
 * x_{t_k}, re-noised to t_{k+1}); "flow" chains the MFM's deterministic flow segments
 * X_{t_k,t_{k+1}}(x; 0, x₀) from the noise x₀ (MATH-core (50)).
 */
export type ImageSampler = "refine" | "flow";

/**
 * `count` unconditional K-step MFM samples `[count × 784]`, `chunk` at a time.
 *
 * @example
 * ```ts
 * const x = sampleImages(mfm, 4, key(0), 1000);
 * const y = sampleImages(mfm, 4, key(0), 1000, 250, "flow");
 * ```
 */
export function sampleImages(
  mfm: StochasticFlowMap,
  steps: number,
  k: Key,
  count: number,
  chunk = 250,
  sampler: ImageSampler = "refine",
): Float32Array {
  if (!Number.isInteger(steps) || steps < 1) {
    throw new RangeError(`sampleImages: steps ${steps} must be a positive integer`);
  }
  if (sampler !== "refine" && sampler !== "flow") {
    throw new RangeError(`sampleImages: sampler "${sampler}" is not one of refine, flow`);
  }
  const out = new Float32Array(count * 784);
  // one compiled call per posterior draw (eager op-by-op execution of a UNet is slow)
  const draw = jit((eps: Tensor, t: Tensor, xt: Tensor) =>
    mfm.map(t.mul(0), t.mul(0).add(1), eps, t, xt)
  );
  const h = 1 / steps;
  // the t = 0 context: an N(0, I) draw per trajectory, independent of its state (what an ungated
  // map was trained on; see `flowSegment`)
  const segment = jit((x: Tensor, s: Tensor, x0: Tensor) => flowSegment(mfm, s, h, x, x0));
  for (let i = 0; i < count; i += chunk) {
    const m = Math.min(chunk, count - i);
    const keys = split(foldIn(k, i), 2 * steps + 2);
    let x = normal(keys[0], [m, 784]);
    if (sampler === "flow") {
      const x0 = normal(keys[2 * steps + 1], [m, 784]);
      for (let j = 0; j < steps; j++) {
        x = segment(x, full([m], j / steps), x0);
      }
      out.set(x.dataSync(), i * 784);
      continue;
    }
    for (let j = 0; j < steps; j++) {
      const x1 = draw(normal(keys[2 * j + 1], [m, 784]), full([m], j / steps), x);
      if (j === steps - 1) {
        out.set(x1.dataSync(), i * 784);
        break;
      }
      // re-noise to t_{j+1} on the linear path: x = (1 − t)z + t·x1
      const t = (j + 1) / steps;
      x = normal(keys[2 * j + 2], [m, 784]).mul(1 - t).add(x1.mul(t));
    }
  }
  return out;
}

/**
 * `count` images of a split as host rows in [−1, 1] (the first `count`, or from `offset`).
 *
 * @example
 * ```ts
 * const real = realImages(test, 2000);
 * ```
 */
export function realImages(data: MnistSplit, count: number, offset = 0): Float32Array {
  const idx = Array.from({ length: count }, (_, i) => offset + i);
  return Float32Array.from(mnistImages(data, idx).images.dataSync());
}
