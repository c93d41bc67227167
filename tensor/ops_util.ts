/**
 * Argument checks shared by the op modules (not exported from the package).
 *
 * @module
 */

import { normAxes } from "./shape.ts";
import { Tensor } from "./tensor.ts";

/** Fails unless `x` is a Tensor. */
export function checkTensor(x: unknown, where: string): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${where}: expected a Tensor, got ${String(x)}`);
  return x;
}

/** Normalised axes of `x` (all when undefined). */
export function axesOf(
  x: Tensor,
  axes: number | readonly number[] | undefined,
  where: string,
): number[] {
  if (axes === undefined) return x.shape.map((_, i) => i);
  return normAxes(typeof axes === "number" ? [axes] : axes, x.rank, where);
}
