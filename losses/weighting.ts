/**
 * Adaptive loss weighting (MATH-core §9.3): per-sample squared error ‖Δ‖² weighted by
 * sg(1/(‖Δ‖² + c)^p); p = 0 is plain L2.
 *
 * @module
 */

import { checkNumber, stopGradient, type Tensor } from "@mfm/tensor";

/**
 * E[sg(w)·‖Δ‖²] with w = 1/(‖Δ‖² + c)^p over the non-batch axes of Δ.
 *
 * @example
 * ```ts
 * const loss = adaptiveLoss(residual, { p: 1, c: 0.01 });
 * ```
 */
export function adaptiveLoss(delta: Tensor, opts: { p?: number; c?: number } = {}): Tensor {
  const p = checkNumber(opts.p ?? 0, "p", "adaptiveLoss", 0);
  const c = checkNumber(opts.c ?? 0.01, "c", "adaptiveLoss", 0, Infinity, { minExclusive: p > 0 });
  const axes = delta.shape.map((_, i) => i).slice(1);
  const sq = axes.length > 0 ? delta.square().sum(axes) : delta.square();
  if (p === 0) return sq.mean();
  const w = stopGradient(sq.add(c).pow(-p));
  return sq.mul(w).mean();
}
