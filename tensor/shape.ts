/**
 * Shape arithmetic: sizes, strides, NumPy broadcasting and axis normalisation, with errors that
 * name the shapes involved.
 *
 * @module
 */

/** A tensor shape. */
export type Shape = readonly number[];

/**
 * Renders a shape as `[2,3]` for messages.
 *
 * @example
 * ```ts
 * fmtShape([2, 3]); // "[2,3]"
 * ```
 */
export function fmtShape(shape: Shape): string {
  return `[${shape.join(",")}]`;
}

/**
 * Number of elements of a shape.
 *
 * @example
 * ```ts
 * sizeOf([2, 3]); // 6
 * ```
 */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Row-major strides of a shape, in elements.
 *
 * @example
 * ```ts
 * stridesOf([2, 3]); // [3, 1]
 * ```
 */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/**
 * Whether two shapes are equal.
 *
 * @example
 * ```ts
 * shapesEqual([1, 2], [1, 2]); // true
 * ```
 */
export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Fails unless `shape` is an array of non-negative integers.
 *
 * @example
 * ```ts
 * checkShape([2, 3], "zeros");
 * ```
 */
export function checkShape(shape: unknown, where: string): number[] {
  if (
    !Array.isArray(shape) ||
    !shape.every((d) => typeof d === "number" && Number.isInteger(d) && d >= 0)
  ) {
    throw new TypeError(
      `${where}: shape ${JSON.stringify(shape)} is not an array of non-negative integers`,
    );
  }
  return [...shape];
}

/**
 * NumPy broadcasting of two shapes; the error names both.
 *
 * @example
 * ```ts
 * broadcastShapes([3, 1], [4]); // [3, 4]
 * ```
 */
export function broadcastShapes(a: Shape, b: Shape, where = "broadcast"): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(
        `${where}: shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast ` +
          `(axis ${i} of the result: ${da} vs ${db})`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * Normalises possibly negative axes against a rank, sorted and unique; fails on out-of-range.
 *
 * @example
 * ```ts
 * normAxes([-1], 3, "sum"); // [2]
 * ```
 */
export function normAxes(axes: readonly number[], rank: number, where: string): number[] {
  const out = axes.map((a) => {
    if (!Number.isInteger(a) || a < -rank || a >= rank) {
      throw new RangeError(`${where}: axis ${a} is out of range for rank ${rank}`);
    }
    return a < 0 ? a + rank : a;
  });
  const uniq = [...new Set(out)].sort((x, y) => x - y);
  if (uniq.length !== out.length) {
    throw new RangeError(`${where}: axes ${JSON.stringify(axes)} repeat an axis`);
  }
  return uniq;
}

/**
 * Normalises one axis.
 *
 * @example
 * ```ts
 * normAxis(-1, 2, "concat"); // 1
 * ```
 */
export function normAxis(axis: number, rank: number, where: string): number {
  return normAxes([axis], rank, where)[0];
}
