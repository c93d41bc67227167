/**
 * Rules of the reductions `reduce_sum` and `reduce_max` (axes removed from the shape).
 *
 * @module
 */

import type { Aval } from "../dtype.ts";
import type { Prim } from "../ir.ts";
import * as ops from "../ops.ts";
import { fmtShape, normAxes } from "../shape.ts";
import type { Tensor } from "../tensor.ts";
import { reduce } from "./host.ts";
import { arity, type RuleGroup } from "./rule.ts";

function reduceShape(prim: Prim, inputs: readonly Aval[], axes: readonly number[]): Aval {
  arity(prim, inputs, 1);
  const x = inputs[0];
  const ax = normAxes(axes, x.shape.length, prim);
  if (ax.some((a, i) => a !== axes[i])) {
    throw new RangeError(
      `${prim}: axes ${JSON.stringify(axes)} must be sorted non-negative axes of ${
        fmtShape(x.shape)
      }`,
    );
  }
  if (x.dtype === "bool") throw new TypeError(`${prim}: not defined for bool tensors`);
  return { shape: x.shape.filter((_, i) => !ax.includes(i)), dtype: x.dtype };
}

/** Reshapes a reduced tensor back to rank of `like` (size-1 reduced axes), then broadcasts. */
function expandBack(r: Tensor, like: Tensor, axes: readonly number[]): Tensor {
  const kept = like.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return ops.broadcastTo(ops.reshape(r, kept), like.shape);
}

function maxLocations(
  x: Tensor,
  out: Tensor,
  axes: readonly number[],
): { loc: Tensor; count: Tensor } {
  const loc = ops.cast(ops.equal(x, expandBack(out, x, axes)), x.dtype);
  return { loc, count: ops.sum(loc, axes) };
}

/** Rules of the reductions. */
export const REDUCE_RULES: RuleGroup<"reduce_sum" | "reduce_max"> = {
  reduce_sum: {
    shape: (inputs, p) => reduceShape("reduce_sum", inputs, p.axes),
    eval: ([x], p, out) => ({
      ...out,
      data: reduce(x.data, x.shape, p.axes, out.dtype, 0, (a, b) => a + b),
    }),
    jvp: ({ tangents: [t], params }) => t && ops.sum(t, params.axes),
    vjp: ({ ct, primals: [x], params }) => [expandBack(ct, x, params.axes)],
  },
  reduce_max: {
    shape: (inputs, p) => reduceShape("reduce_max", inputs, p.axes),
    eval: ([x], p, out) => ({
      ...out,
      data: reduce(x.data, x.shape, p.axes, out.dtype, -Infinity, Math.max),
    }),
    // ties share the derivative evenly
    jvp: ({ primals: [x], tangents: [t], out, params }) => {
      if (!t) return null;
      const { loc, count } = maxLocations(x, out, params.axes);
      return ops.div(ops.sum(ops.mul(t, loc), params.axes), count);
    },
    vjp: ({ ct, primals: [x], out, params }) => {
      const { loc, count } = maxLocations(x, out, params.axes);
      return [ops.mul(expandBack(ops.div(ct, count), x, params.axes), loc)];
    },
  },
};
