/**
 * Exponential moving average of parameters: `ema ← decay·ema + (1 − decay)·θ`.
 *
 * @module
 */

import { checkNumber, type Tensor, type Tree, treeMap } from "@mfm/tensor";

/**
 * One EMA step over a parameter tree (jittable).
 *
 * @example
 * ```ts
 * emaParams = emaUpdate(emaParams, params, 0.999);
 * ```
 */
export function emaUpdate<P extends Tree>(ema: P, params: P, decay: number): P {
  checkNumber(decay, "decay", "emaUpdate", 0, 1);
  return treeMap((e: Tensor, p: Tensor) => e.mul(decay).add(p.mul(1 - decay)), ema, params);
}
