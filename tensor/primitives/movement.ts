/**
 * Rules of the movement primitives: reshape, broadcast, transpose, slice, pad, concat, rev.
 * Their reference evaluations are strided copies.
 *
 * @module
 */

import { allocate } from "../dtype.ts";
import * as ops from "../ops.ts";
import { broadcastShapes, fmtShape, shapesEqual, sizeOf, stridesOf } from "../shape.ts";
import { bind } from "../trace.ts";
import { stridedRead, stridedWrite } from "./host.ts";
import { arity, type RuleGroup } from "./rule.ts";

function checkPerm(perm: readonly number[], rank: number): void {
  const ok = perm.length === rank && [...perm].sort((a, b) => a - b).every((a, i) => a === i);
  if (!ok) {
    throw new RangeError(
      `transpose: ${JSON.stringify(perm)} is not a permutation of 0..${rank - 1}`,
    );
  }
}

function sliceLen(start: number, end: number, stride: number): number {
  return end <= start ? 0 : Math.ceil((end - start) / stride);
}

function padLen(n: number, lo: number, hi: number, interior: number): number {
  return lo + hi + n + Math.max(0, n - 1) * interior;
}

/** Rules of the movement primitives. */
export const MOVEMENT_RULES: RuleGroup<
  "reshape" | "broadcast" | "transpose" | "slice" | "pad" | "concat" | "rev"
> = {
  reshape: {
    shape: (inputs, p) => {
      arity("reshape", inputs, 1);
      if (sizeOf(p.shape) !== sizeOf(inputs[0].shape)) {
        throw new RangeError(
          `reshape: cannot reshape ${fmtShape(inputs[0].shape)} into ${fmtShape(p.shape)}`,
        );
      }
      return { shape: [...p.shape], dtype: inputs[0].dtype };
    },
    eval: ([x], _p, out) => ({ ...out, data: x.data }),
    jvp: ({ tangents: [t], params }) => t && ops.reshape(t, params.shape),
    vjp: ({ ct, primals: [x] }) => [ops.reshape(ct, x.shape)],
  },
  broadcast: {
    shape: (inputs, p) => {
      arity("broadcast", inputs, 1);
      const x = inputs[0];
      const b = broadcastShapes(x.shape, p.shape, "broadcast");
      if (x.shape.length > p.shape.length || !shapesEqual(b, p.shape)) {
        throw new RangeError(
          `broadcast: cannot broadcast ${fmtShape(x.shape)} to ${fmtShape(p.shape)}`,
        );
      }
      return { shape: [...p.shape], dtype: x.dtype };
    },
    eval: ([x], p, out) => {
      const lead = p.shape.length - x.shape.length;
      const xs = stridesOf(x.shape);
      const strides = p.shape.map((
        _,
        i,
      ) => (i < lead || x.shape[i - lead] === 1 ? 0 : xs[i - lead]));
      return { ...out, data: stridedRead(x.data, out.dtype, 0, strides, p.shape) };
    },
    jvp: ({ tangents: [t], params }) => t && ops.broadcastTo(t, params.shape),
    vjp: ({ ct, primals: [x], params }) => {
      const lead = params.shape.length - x.shape.length;
      const axes = params.shape.flatMap((
        d,
        i,
      ) => (i < lead || (x.shape[i - lead] === 1 && d !== 1) ? [i] : []));
      return [ops.reshape(ops.sum(ct, axes), x.shape)];
    },
  },
  transpose: {
    shape: (inputs, p) => {
      arity("transpose", inputs, 1);
      checkPerm(p.perm, inputs[0].shape.length);
      return { shape: p.perm.map((a) => inputs[0].shape[a]), dtype: inputs[0].dtype };
    },
    eval: ([x], p, out) => {
      const xs = stridesOf(x.shape);
      return {
        ...out,
        data: stridedRead(x.data, out.dtype, 0, p.perm.map((a) => xs[a]), out.shape),
      };
    },
    jvp: ({ tangents: [t], params }) => t && ops.transpose(t, params.perm),
    vjp: ({ ct, params }) => {
      const inv = new Array<number>(params.perm.length);
      params.perm.forEach((a, i) => (inv[a] = i));
      return [ops.transpose(ct, inv)];
    },
  },
  slice: {
    shape: (inputs, p) => {
      arity("slice", inputs, 1);
      const x = inputs[0];
      const r = x.shape.length;
      if (p.starts.length !== r || p.ends.length !== r || p.strides.length !== r) {
        throw new RangeError(
          `slice: starts/ends/strides need ${r} entries each for ${fmtShape(x.shape)}`,
        );
      }
      const shape = x.shape.map((d, i) => {
        const [s, e, st] = [p.starts[i], p.ends[i], p.strides[i]];
        if (
          !(Number.isInteger(s) && Number.isInteger(e) && Number.isInteger(st) && 0 <= s &&
            s <= e && e <= d && st >= 1)
        ) {
          throw new RangeError(
            `slice: axis ${i} of ${fmtShape(x.shape)}: start ${s}, end ${e}, stride ${st} ` +
              `(expected 0 ≤ start ≤ end ≤ ${d}, stride ≥ 1)`,
          );
        }
        return sliceLen(s, e, st);
      });
      return { shape, dtype: x.dtype };
    },
    eval: ([x], p, out) => {
      const xs = stridesOf(x.shape);
      const offset = p.starts.reduce((acc, s, i) => acc + s * xs[i], 0);
      return {
        ...out,
        data: stridedRead(x.data, out.dtype, offset, xs.map((s, i) => s * p.strides[i]), out.shape),
      };
    },
    jvp: ({ tangents: [t], params }) => t && bind("slice", [t], params),
    vjp: ({ ct, primals: [x], params }) => {
      const lo = params.starts;
      const interior = params.strides.map((s) => s - 1);
      const hi = x.shape.map((d, i) => d - lo[i] - padLen(ct.shape[i], 0, 0, interior[i]));
      return [bind("pad", [ct], { lo, hi, interior, value: 0 })];
    },
  },
  pad: {
    shape: (inputs, p) => {
      arity("pad", inputs, 1);
      const x = inputs[0];
      const r = x.shape.length;
      if (p.lo.length !== r || p.hi.length !== r || p.interior.length !== r) {
        throw new RangeError(`pad: lo/hi/interior need ${r} entries each for ${fmtShape(x.shape)}`);
      }
      const all = [...p.lo, ...p.hi, ...p.interior];
      if (!all.every((v) => Number.isInteger(v) && v >= 0)) {
        throw new RangeError(
          `pad: widths must be non-negative integers, got lo ${p.lo} hi ${p.hi} interior ${p.interior}`,
        );
      }
      return {
        shape: x.shape.map((d, i) => padLen(d, p.lo[i], p.hi[i], p.interior[i])),
        dtype: x.dtype,
      };
    },
    eval: ([x], p, out) => {
      const data = allocate(out.dtype, sizeOf(out.shape));
      data.fill(p.value);
      const os = stridesOf(out.shape);
      const offset = p.lo.reduce((acc, l, i) => acc + l * os[i], 0);
      stridedWrite(data, offset, os.map((s, i) => s * (p.interior[i] + 1)), x.data, x.shape);
      return { ...out, data };
    },
    jvp: ({ tangents: [t], params }) => t && bind("pad", [t], { ...params, value: 0 }),
    vjp: ({ ct, primals: [x], params }) => {
      const strides = params.interior.map((v) => v + 1);
      const ends = x.shape.map((d, i) => params.lo[i] + padLen(d, 0, 0, params.interior[i]));
      return [bind("slice", [ct], { starts: params.lo, ends, strides })];
    },
  },
  concat: {
    shape: (inputs, p) => {
      if (inputs.length === 0) throw new RangeError("concat: needs at least one input");
      const first = inputs[0];
      const r = first.shape.length;
      if (!Number.isInteger(p.axis) || p.axis < 0 || p.axis >= r) {
        throw new RangeError(`concat: axis ${p.axis} out of range for rank ${r}`);
      }
      let total = 0;
      for (const x of inputs) {
        const ok = x.shape.length === r &&
          x.shape.every((d, i) => i === p.axis || d === first.shape[i]);
        if (!ok) {
          throw new RangeError(
            `concat: shapes ${fmtShape(first.shape)} and ${
              fmtShape(x.shape)
            } differ off axis ${p.axis}`,
          );
        }
        if (x.dtype !== first.dtype) {
          throw new TypeError(`concat: dtypes differ: ${first.dtype} vs ${x.dtype}`);
        }
        total += x.shape[p.axis];
      }
      return { shape: first.shape.map((d, i) => (i === p.axis ? total : d)), dtype: first.dtype };
    },
    eval: (inputs, p, out) => {
      const data = allocate(out.dtype, sizeOf(out.shape));
      const os = stridesOf(out.shape);
      let at = 0;
      for (const x of inputs) {
        stridedWrite(data, at * os[p.axis], os, x.data, x.shape);
        at += x.shape[p.axis];
      }
      return { ...out, data };
    },
    jvp: ({ primals, tangents, params }) => {
      if (tangents.every((t) => t === null)) return null;
      return ops.concat(tangents.map((t, i) => t ?? ops.zerosLike(primals[i])), params.axis);
    },
    vjp: ({ ct, primals, params, needs }) => {
      let at = 0;
      return primals.map((x, i) => {
        const start = at;
        at += x.shape[params.axis];
        return needs[i] ? ops.sliceAxis(ct, params.axis, start, at) : null;
      });
    },
  },
  rev: {
    shape: (inputs, p) => {
      arity("rev", inputs, 1);
      const r = inputs[0].shape.length;
      if (!p.axes.every((a) => Number.isInteger(a) && a >= 0 && a < r)) {
        throw new RangeError(`rev: axes ${JSON.stringify(p.axes)} out of range for rank ${r}`);
      }
      return inputs[0];
    },
    eval: ([x], p, out) => {
      const xs = stridesOf(x.shape);
      let offset = 0;
      const strides = xs.map((s, i) => {
        if (!p.axes.includes(i)) return s;
        offset += (x.shape[i] - 1) * s;
        return -s;
      });
      return {
        ...out,
        data: stridedRead(
          x.data,
          out.dtype,
          x.shape.some((d) => d === 0) ? 0 : offset,
          strides,
          x.shape,
        ),
      };
    },
    jvp: ({ tangents: [t], params }) => t && bind("rev", [t], params),
    vjp: ({ ct, params }) => [bind("rev", [ct], params)],
  },
};
