/**
 * Numeric test helpers: closeness with a report of the worst element, and central finite
 * differences. Exported so plugin authors test their code the same way.
 *
 * @module
 */

import { fmtShape, shapesEqual } from "./shape.ts";
import { Tensor } from "./tensor.ts";

/** Tolerances: |a − e| ≤ atol + rtol·|e| elementwise. */
export interface Tolerance {
  /** Relative tolerance; default 1e-5. */
  rtol?: number;
  /** Absolute tolerance; default 1e-8. */
  atol?: number;
}

function values(
  x: Tensor | ArrayLike<number> | number,
): { data: ArrayLike<number>; shape?: readonly number[] } {
  if (x instanceof Tensor) return { data: x.dataSync(), shape: x.shape };
  if (typeof x === "number") return { data: [x] };
  return { data: x };
}

/**
 * Fails unless `actual` and `expected` agree within tolerance (and, for tensors, in shape);
 * the message names the worst element.
 *
 * @example
 * ```ts
 * assertAllClose(y, [1, 2, 3], { rtol: 1e-6 });
 * ```
 */
export function assertAllClose(
  actual: Tensor | ArrayLike<number> | number,
  expected: Tensor | ArrayLike<number> | number,
  tol: Tolerance = {},
  message = "",
): void {
  const rtol = tol.rtol ?? 1e-5;
  const atol = tol.atol ?? 1e-8;
  const a = values(actual);
  const e = values(expected);
  const pre = message ? `${message}: ` : "";
  if (a.shape && e.shape && !shapesEqual(a.shape, e.shape)) {
    throw new Error(`${pre}shapes differ: ${fmtShape(a.shape)} vs ${fmtShape(e.shape)}`);
  }
  if (a.data.length !== e.data.length) {
    throw new Error(`${pre}lengths differ: ${a.data.length} vs ${e.data.length}`);
  }
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < a.data.length; i++) {
    const av = Number(a.data[i]);
    const ev = Number(e.data[i]);
    if (Number.isNaN(av) && Number.isNaN(ev)) continue;
    const excess = Math.abs(av - ev) - (atol + rtol * Math.abs(ev));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    throw new Error(
      `${pre}not close at index ${worst}: actual ${a.data[worst]}, expected ${e.data[worst]} ` +
        `(|diff| ${
          Math.abs(Number(a.data[worst]) - Number(e.data[worst])).toExponential(3)
        }, rtol ${rtol}, atol ${atol})`,
    );
  }
}

/**
 * Inner product ⟨a, b⟩ of two tensors' values (on the host, float64).
 *
 * @example
 * ```ts
 * vdot(x, y);
 * ```
 */
export function vdot(a: Tensor, b: Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  if (x.length !== y.length) {
    throw new RangeError(`vdot: sizes differ (${x.length} vs ${y.length})`);
  }
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
}
