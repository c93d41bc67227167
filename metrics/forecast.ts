/**
 * Probabilistic-forecast scores for ensembles on the host: the fair (unbiased) ensemble CRPS and
 * the spread–skill ratio, the two numbers weather forecasters report first.
 *
 * @module
 */

/** An ensemble forecast of one case: `members` rows of `dim` values each, row-major. */
export interface EnsembleCase {
  /** Members × dim values. */
  readonly ensemble: ArrayLike<number>;
  /** The verifying truth, `dim` values. */
  readonly truth: ArrayLike<number>;
}

function checkCase(c: EnsembleCase, where: string): { m: number; d: number } {
  const d = c.truth.length;
  if (d === 0) throw new RangeError(`${where}: the truth is empty`);
  const m = c.ensemble.length / d;
  if (!Number.isInteger(m) || m < 2) {
    throw new RangeError(
      `${where}: ensemble of ${c.ensemble.length} values is not ≥ 2 members of ${d} values`,
    );
  }
  return { m, d };
}

/**
 * The fair ensemble CRPS, averaged over the case's `dim` values:
 * (1/m)Σ|x_i − y| − 1/(2m(m−1)) Σ_{i≠j}|x_i − x_j| — unbiased for the CRPS of the law the
 * members are drawn from (O(m log m) per value by sorting). A deterministic forecast is an
 * ensemble of identical members; its CRPS is the absolute error.
 *
 * @example
 * ```ts
 * crps({ ensemble: [0, 1, 2, 3], truth: [1.5] }); // mean |x − y| − half the mean pair distance
 * ```
 */
export function crps(c: EnsembleCase): number {
  const { m, d } = checkCase(c, "crps");
  const col = new Float64Array(m);
  let total = 0;
  for (let j = 0; j < d; j++) {
    const y = c.truth[j];
    let skill = 0;
    for (let i = 0; i < m; i++) {
      col[i] = c.ensemble[i * d + j];
      skill += Math.abs(col[i] - y);
    }
    col.sort();
    // Σ_{i<j} (x_(j) − x_(i)) = Σ_j x_(j) (2j − m + 1) for sorted values
    let pairs = 0;
    for (let i = 0; i < m; i++) pairs += col[i] * (2 * i - m + 1);
    total += skill / m - pairs / (m * (m - 1));
  }
  return total / d;
}

/**
 * Spread–skill over cases: √(mean ensemble variance) / √(mean squared error of the ensemble mean),
 * times √((m+1)/m) so that a calibrated m-member ensemble scores 1 in expectation; < 1 is
 * over-confident, > 1 under-confident.
 *
 * @example
 * ```ts
 * spreadSkill(cases); // ≈ 1 when truth and members come from the same law
 * ```
 */
export function spreadSkill(cases: readonly EnsembleCase[]): number {
  if (cases.length === 0) throw new RangeError("spreadSkill: no cases");
  let spread = 0;
  let error = 0;
  let count = 0;
  let members = 0;
  for (const c of cases) {
    const { m, d } = checkCase(c, "spreadSkill");
    if (members && m !== members) {
      throw new RangeError(`spreadSkill: cases have ${members} and ${m} members; use one size`);
    }
    members = m;
    for (let j = 0; j < d; j++) {
      let mean = 0;
      for (let i = 0; i < m; i++) mean += c.ensemble[i * d + j];
      mean /= m;
      let v = 0;
      for (let i = 0; i < m; i++) v += (c.ensemble[i * d + j] - mean) ** 2;
      spread += v / (m - 1);
      error += (mean - c.truth[j]) ** 2;
      count++;
    }
  }
  return Math.sqrt(spread / count) / Math.sqrt(error / count) * Math.sqrt((members + 1) / members);
}
