/**
 * Rules of `gather` (NumPy `take` along one axis with int32 indices) and its transpose
 * `scatter_add`.
 *
 * @module
 */

import { allocate } from "../dtype.ts";
import * as ops from "../ops.ts";
import { fmtShape, sizeOf } from "../shape.ts";
import { bind } from "../trace.ts";
import { arity, type RuleGroup } from "./rule.ts";

function checkIndex(i: number, size: number, prim: string): number {
  if (i < 0 || i >= size) throw new RangeError(`${prim}: index ${i} is out of range [0, ${size})`);
  return i;
}

/** Rules of gather / scatter_add. */
export const INDEXING_RULES: RuleGroup<"gather" | "scatter_add"> = {
  gather: {
    shape: (inputs, p) => {
      arity("gather", inputs, 2);
      const [x, idx] = inputs;
      if (idx.dtype !== "int32") {
        throw new TypeError(`gather: indices must be int32, got ${idx.dtype}`);
      }
      if (!Number.isInteger(p.axis) || p.axis < 0 || p.axis >= x.shape.length) {
        throw new RangeError(`gather: axis ${p.axis} out of range for ${fmtShape(x.shape)}`);
      }
      return {
        shape: [...x.shape.slice(0, p.axis), ...idx.shape, ...x.shape.slice(p.axis + 1)],
        dtype: x.dtype,
      };
    },
    eval: ([x, idx], p, out) => {
      const outer = sizeOf(x.shape.slice(0, p.axis));
      const n = x.shape[p.axis];
      const inner = sizeOf(x.shape.slice(p.axis + 1));
      const m = idx.data.length;
      const data = allocate(out.dtype, sizeOf(out.shape));
      for (let o = 0; o < outer; o++) {
        for (let j = 0; j < m; j++) {
          const src = (o * n + checkIndex(idx.data[j], n, "gather")) * inner;
          const dst = (o * m + j) * inner;
          for (let k = 0; k < inner; k++) data[dst + k] = x.data[src + k];
        }
      }
      return { ...out, data };
    },
    jvp: ({ primals: [, idx], tangents: [t], params }) => t && bind("gather", [t, idx], params),
    vjp: ({ ct, primals: [x, idx], params }) => [
      ops.scatterAdd(ct, idx, params.axis, x.shape[params.axis]),
      null,
    ],
  },
  scatter_add: {
    shape: (inputs, p) => {
      arity("scatter_add", inputs, 2);
      const [u, idx] = inputs;
      if (idx.dtype !== "int32") {
        throw new TypeError(`scatter_add: indices must be int32, got ${idx.dtype}`);
      }
      const k = idx.shape.length;
      const mid = u.shape.slice(p.axis, p.axis + k);
      if (p.axis < 0 || p.axis + k > u.shape.length || mid.some((d, i) => d !== idx.shape[i])) {
        throw new RangeError(
          `scatter_add: updates ${fmtShape(u.shape)} do not hold indices ${
            fmtShape(idx.shape)
          } at axis ${p.axis}`,
        );
      }
      if (!Number.isInteger(p.size) || p.size < 0) {
        throw new RangeError(`scatter_add: size ${p.size} is invalid`);
      }
      return {
        shape: [...u.shape.slice(0, p.axis), p.size, ...u.shape.slice(p.axis + k)],
        dtype: u.dtype,
      };
    },
    eval: ([u, idx], p, out) => {
      const outer = sizeOf(u.shape.slice(0, p.axis));
      const m = idx.data.length;
      const inner = sizeOf(u.shape.slice(p.axis + idx.shape.length));
      const data = allocate(out.dtype, sizeOf(out.shape));
      for (let o = 0; o < outer; o++) {
        for (let j = 0; j < m; j++) {
          const dst = (o * p.size + checkIndex(idx.data[j], p.size, "scatter_add")) * inner;
          const src = (o * m + j) * inner;
          for (let k = 0; k < inner; k++) data[dst + k] += u.data[src + k];
        }
      }
      return { ...out, data };
    },
    jvp: ({ primals: [, idx], tangents: [t], params }) =>
      t && bind("scatter_add", [t, idx], params),
    vjp: (
      { ct, primals: [, idx], params },
    ) => [bind("gather", [ct, idx], { axis: params.axis }), null],
  },
};
