/**
 * Validation of option records: unknown keys fail early with the list of valid ones.
 *
 * @module
 */

/**
 * Fails if `opts` has a key outside `allowed` (a misspelt option should not be silently ignored).
 *
 * @example
 * ```ts
 * checkOptions({ lr: 1e-3 }, ["lr", "beta1"], "adam"); // ok
 * ```
 */
export function checkOptions(opts: unknown, allowed: readonly string[], where: string): void {
  if (opts === undefined) return;
  if (typeof opts !== "object" || opts === null || Array.isArray(opts)) {
    throw new TypeError(`${where}: options must be a record, got ${JSON.stringify(opts)}`);
  }
  const bad = Object.keys(opts).filter((k) => !allowed.includes(k));
  if (bad.length > 0) {
    throw new RangeError(
      `${where}: unknown option${bad.length > 1 ? "s" : ""} ${
        bad.map((b) => `"${b}"`).join(", ")
      }; valid options: ${allowed.join(", ")}`,
    );
  }
}

/**
 * Fails unless `value` is a finite number in `[min, max]` (inclusive unless told).
 *
 * @example
 * ```ts
 * checkNumber(0.9, "beta1", "adam", 0, 1, { maxExclusive: true });
 * ```
 */
export function checkNumber(
  value: unknown,
  name: string,
  where: string,
  min = -Infinity,
  max = Infinity,
  opts: { minExclusive?: boolean; maxExclusive?: boolean } = {},
): number {
  const ok = typeof value === "number" && Number.isFinite(value) &&
    (opts.minExclusive ? value > min : value >= min) &&
    (opts.maxExclusive ? value < max : value <= max);
  if (!ok) {
    const lo = `${opts.minExclusive ? "(" : "["}${min}`;
    const hi = `${max}${opts.maxExclusive ? ")" : "]"}`;
    throw new RangeError(
      `${where}: ${name} ${JSON.stringify(value)} must be a finite number in ${lo}, ${hi}`,
    );
  }
  return value as number;
}
