/**
 * Time sampling for MFM training (MATH-core §4.4): the outer time t = U^k·Bernoulli(1 − p₀), and
 * inner pairs s ≤ u with a diagonal warm-up and a linearly growing gap.
 *
 * @module
 */

import {
  checkNumber,
  checkOptions,
  type Key,
  split,
  type Tensor,
  tensor,
  uniformArray,
} from "@mfm/tensor";

// the float32 uniforms `uniform` would give, drawn on the host (no backend round trip)
const u01 = (k: Key, n: number) =>
  uniformArray(k, n).map((v) => Math.fround(Math.min(v, 1 - 2 ** -24)));

/** Options of `sampleOuterTime`. */
export interface OuterTimeOptions {
  /** Exponent k of U^k (k > 1 favours small t); default 1. */
  power?: number;
  /** Probability p₀ of t = 0 exactly (the plain flow map); default 0. */
  zeroRate?: number;
}

/**
 * Outer (context) times `[n]`.
 *
 * @example
 * ```ts
 * const t = sampleOuterTime(key(0), 1024, { power: 2, zeroRate: 0.1 });
 * ```
 */
export function sampleOuterTime(k: Key, n: number, opts: OuterTimeOptions = {}): Tensor {
  checkOptions(opts, ["power", "zeroRate"], "sampleOuterTime");
  const power = checkNumber(opts.power ?? 1, "power", "sampleOuterTime", 0, Infinity, {
    minExclusive: true,
  });
  const zeroRate = checkNumber(opts.zeroRate ?? 0, "zeroRate", "sampleOuterTime", 0, 1);
  const [ku, kb] = split(k);
  const u = u01(ku, n);
  const b = u01(kb, n);
  return tensor(Array.from(u, (v, i) => (b[i] < zeroRate ? 0 : v ** power)));
}

/** Options of `sampleInnerPair`. */
export interface InnerPairOptions {
  /** Current training step (for the curriculum); default: past the curriculum. */
  step?: number;
  /** Steps with s = u only; default 0. */
  warmupSteps?: number;
  /** Step at which the full range is reached, the gap growing linearly around the midpoint after the warm-up; default 0. */
  annealEndStep?: number;
}

/**
 * Inner pairs s ≤ u `[n]` each (two sorted uniforms in [0, 1)).
 *
 * @example
 * ```ts
 * const { s, u } = sampleInnerPair(key(1), 1024, { step, warmupSteps: 1000, annealEndStep: 5000 });
 * ```
 */
export function sampleInnerPair(
  k: Key,
  n: number,
  opts: InnerPairOptions = {},
): { s: Tensor; u: Tensor } {
  checkOptions(opts, ["step", "warmupSteps", "annealEndStep"], "sampleInnerPair");
  const warm = opts.warmupSteps ?? 0;
  const end = Math.max(opts.annealEndStep ?? 0, warm);
  const step = opts.step ?? Infinity;
  const frac = step < warm ? 0 : step >= end ? 1 : (step - warm) / (end - warm);
  const [ka, kb] = split(k);
  const a = u01(ka, n);
  const b = u01(kb, n);
  const s = new Float32Array(n);
  const u = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const lo = Math.min(a[i], b[i]);
    const hi = Math.max(a[i], b[i]);
    const mid = (lo + hi) / 2;
    s[i] = mid + (lo - mid) * frac;
    u[i] = mid + (hi - mid) * frac;
  }
  return { s: tensor(s), u: tensor(u) };
}
