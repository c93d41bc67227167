/**
 * The movement and shape-arithmetic ONNX operators of `importOnnx`: shapes computed from
 * constants (PyTorch's Shape → Gather → Concat → Reshape chains) fold on the host.
 *
 * @module
 */

import {
  broadcastShapes,
  broadcastTo,
  cast,
  concat,
  flip,
  full,
  normAxis,
  pad,
  reshape,
  sizeOf,
  slice,
  squeeze,
  take,
  type Tensor,
  transpose,
} from "@mfm/tensor";
import { aFloat, aInt, aInts, aStr, attr, input, type OpImpl, T } from "./import_context.ts";
import {
  decodeTensor,
  dtypeOfElem,
  host,
  type HostValue,
  ints,
  isHost,
  toTensor,
  type Value,
} from "./import_values.ts";
import { ONNX_DTYPE } from "./proto.ts";

function sliceTensor(
  x: Tensor,
  starts: number[],
  ends: number[],
  axes: number[],
  steps: number[],
): Tensor {
  let cur = x;
  const s = x.shape.map(() => 0);
  const e = [...x.shape];
  const st = x.shape.map(() => 1);
  axes.forEach((a0, i) => {
    const a = a0 < 0 ? a0 + x.rank : a0;
    const dim = x.shape[a];
    const step = steps[i] ?? 1;
    if (step === 0) throw new RangeError("Slice: step 0");
    let start = starts[i] < 0 ? starts[i] + dim : starts[i];
    let end = ends[i] < 0 ? ends[i] + dim : ends[i];
    if (step > 0) {
      start = Math.min(Math.max(start, 0), dim);
      end = Math.min(Math.max(end, 0), dim);
      [s[a], e[a], st[a]] = [start, Math.max(start, end), step];
    } else {
      // walk start, start+step, … > end: the same as a forward slice of the reversed axis
      start = Math.min(Math.max(start, 0), dim - 1);
      end = Math.min(Math.max(end, -1), dim - 1);
      cur = flip(cur, [a]);
      const fs = dim - 1 - start;
      const fe = dim - 1 - end;
      [s[a], e[a], st[a]] = [fs, Math.max(fs, fe), -step];
    }
  });
  return slice(cur, s, e, st);
}

function hostSlice1d(v: HostValue, starts: number[], ends: number[], steps: number[]): HostValue {
  const n = v.data.length;
  const step = steps[0] ?? 1;
  let start = starts[0] < 0 ? starts[0] + n : starts[0];
  let end = ends[0] < 0 ? ends[0] + n : ends[0];
  const out: number[] = [];
  if (step > 0) {
    start = Math.min(Math.max(start, 0), n);
    end = Math.min(Math.max(end, 0), n);
    for (let i = start; i < end; i += step) out.push(v.data[i]);
  } else {
    start = Math.min(Math.max(start, 0), n - 1);
    end = Math.min(Math.max(end, -1), n - 1);
    for (let i = start; i > end; i += step) out.push(v.data[i]);
  }
  return host(v.elem, [out.length], out);
}

/** Shape, movement and indexing operators, by op_type. */
export const SHAPE_OPS: Record<string, OpImpl> = {
  Shape: (c) => {
    const v = input(c, 0);
    const shape = isHost(v) ? v.shape : v.shape;
    const r = shape.length;
    let start = aInt(c, "start", 0);
    let end = aInt(c, "end", r);
    start = start < 0 ? start + r : start;
    end = end < 0 ? end + r : Math.min(end, r);
    return host(ONNX_DTYPE.INT64, [Math.max(0, end - start)], shape.slice(start, end));
  },
  ConstantOfShape: (c) => {
    const shape = ints(input(c, 0), `${c.where} shape`);
    const t = attr(c, "value")?.t;
    const v = t ? decodeTensor(t, c.where) : host(ONNX_DTYPE.FLOAT, [1], [0]);
    if (v.elem === ONNX_DTYPE.INT64 || v.elem === ONNX_DTYPE.INT32) {
      return host(v.elem, shape, new Array(sizeOf(shape)).fill(v.data[0]));
    }
    return full(shape, v.data[0], dtypeOfElem(v.elem, c.where));
  },
  Range: (c) => {
    const [s, l, d] = [0, 1, 2].map((i) => ints(input(c, i), `${c.where} input ${i}`)[0]);
    const out: number[] = [];
    for (let v = s; d > 0 ? v < l : v > l; v += d) out.push(v);
    return host((input(c, 0) as HostValue).elem, [out.length], out);
  },
  Reshape: (c) => {
    const v = input(c, 0);
    const target = ints(input(c, 1), `${c.where} shape`);
    const inShape = isHost(v) ? v.shape : v.shape;
    const allowZero = aInt(c, "allowzero", 0) === 1;
    const shape = target.map((d, i) => (d === 0 && !allowZero ? inShape[i] : d));
    if (isHost(v)) {
      const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
      return host(v.elem, shape.map((d) => (d === -1 ? v.data.length / known : d)), v.data);
    }
    return reshape(v, shape);
  },
  Flatten: (c) => {
    const x = T(c, 0);
    const axis = aInt(c, "axis", 1);
    const a = axis < 0 ? axis + x.rank : axis;
    return reshape(x, [sizeOf(x.shape.slice(0, a)), sizeOf(x.shape.slice(a))]);
  },
  Transpose: (c) => {
    const x = T(c, 0);
    return transpose(x, aInts(c, "perm"));
  },
  Unsqueeze: (c) => {
    const v = input(c, 0);
    const axes = c.opset >= 13 ? ints(input(c, 1), `${c.where} axes`) : aInts(c, "axes") ?? [];
    const shape = [...(isHost(v) ? v.shape : v.shape)];
    const r = shape.length + axes.length;
    for (const a of axes.map((a) => (a < 0 ? a + r : a)).sort((x, y) => x - y)) {
      shape.splice(a, 0, 1);
    }
    return isHost(v) ? host(v.elem, shape, v.data) : reshape(v, shape);
  },
  Squeeze: (c) => {
    const v = input(c, 0);
    const axes = c.opset >= 13
      ? (c.inputs[1] === undefined ? undefined : ints(c.inputs[1], `${c.where} axes`))
      : aInts(c, "axes");
    if (isHost(v)) {
      const r = v.shape.length;
      const ax = (axes ?? v.shape.flatMap((d, i) => (d === 1 ? [i] : []))).map((
        a,
      ) => (a < 0 ? a + r : a));
      return host(v.elem, v.shape.filter((_, i) => !ax.includes(i)), v.data);
    }
    return squeeze(v, axes);
  },
  Concat: (c) => {
    const axis = aInt(c, "axis", 0);
    const vs = c.inputs.filter((v): v is Value => v !== undefined);
    if (vs.every(isHost) && vs.every((v) => (v as HostValue).shape.length === 1)) {
      const hs = vs as HostValue[];
      const data = hs.flatMap((h) => h.data);
      return host(hs[0].elem, [data.length], data);
    }
    const like = vs.find((v) => !isHost(v)) as Tensor | undefined;
    return concat(vs.map((v) => toTensor(v, like, c.where)), axis);
  },
  Split: (c) => {
    const x = T(c, 0);
    const axis = normAxis(aInt(c, "axis", 0), x.rank, c.where);
    const n = c.node.output.length;
    const sizes = c.inputs[1] !== undefined
      ? ints(c.inputs[1], `${c.where} split`)
      : aInts(c, "split") ??
        Array.from({ length: n }, (_, i) => {
          const chunk = Math.ceil(x.shape[axis] / n);
          return Math.max(0, Math.min(chunk, x.shape[axis] - i * chunk));
        });
    let at = 0;
    return sizes.map((s) => {
      const r = sliceTensor(x, [at], [at + s], [axis], [1]);
      at += s;
      return r;
    });
  },
  Slice: (c) => {
    const v = input(c, 0);
    const starts = ints(input(c, 1), `${c.where} starts`);
    const ends = ints(input(c, 2), `${c.where} ends`);
    const rank = isHost(v) ? v.shape.length : v.rank;
    const axes = c.inputs[3] !== undefined
      ? ints(c.inputs[3], `${c.where} axes`)
      : starts.map((_, i) => i);
    const steps = c.inputs[4] !== undefined
      ? ints(c.inputs[4], `${c.where} steps`)
      : starts.map(() => 1);
    if (isHost(v) && rank === 1) return hostSlice1d(v, starts, ends, steps);
    return sliceTensor(toTensor(v, undefined, c.where), starts, ends, axes, steps);
  },
  Gather: (c) => {
    const v = input(c, 0);
    const idx = input(c, 1);
    const axis = aInt(c, "axis", 0);
    if (isHost(v) && isHost(idx) && v.shape.length === 1) {
      const n = v.data.length;
      const out = idx.data.map((i) => v.data[i < 0 ? i + n : i]);
      return host(v.elem, idx.shape, out);
    }
    const x = toTensor(v, undefined, c.where);
    const a = normAxis(axis, x.rank, c.where);
    const indices = isHost(idx)
      ? host(ONNX_DTYPE.INT32, idx.shape, idx.data.map((i) => (i < 0 ? i + x.shape[a] : i)))
      : idx;
    return take(x, cast(toTensor(indices, undefined, c.where), "int32"), a);
  },
  Expand: (c) => {
    const x = T(c, 0);
    const shape = ints(input(c, 1), `${c.where} shape`);
    return broadcastTo(x, broadcastShapes(x.shape, shape, c.where));
  },
  Pad: (c) => {
    const x = T(c, 0);
    if (aStr(c, "mode", "constant") !== "constant") {
      throw new Error(`${c.where}: only constant padding is supported`);
    }
    const pads = c.opset >= 11 ? ints(input(c, 1), `${c.where} pads`) : aInts(c, "pads") ?? [];
    const value = c.inputs[2] !== undefined
      ? ints(c.inputs[2], `${c.where} constant_value`)[0]
      : aFloat(c, "value", 0);
    const axes = c.inputs[3] !== undefined
      ? ints(c.inputs[3], `${c.where} axes`)
      : x.shape.map((_, i) => i);
    const widths = x.shape.map((): [number, number] => [0, 0]);
    axes.forEach((a0, i) => {
      const a = a0 < 0 ? a0 + x.rank : a0;
      widths[a] = [pads[i], pads[i + axes.length]];
    });
    if (widths.some(([l, h]) => l < 0 || h < 0)) {
      throw new Error(`${c.where}: negative pads are not supported`);
    }
    return pad(x, widths, value);
  },
};
