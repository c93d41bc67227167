/**
 * The ONNX operators `importOnnx` understands, each written with mfm ops (so imported models
 * trace, differentiate and run on every backend). Shape arithmetic on constants is folded on
 * the host.
 *
 * @module
 */

import {
  broadcastShapes,
  broadcastTo,
  cast,
  concat,
  conv2d,
  type DType,
  equal,
  erf,
  exp,
  flip,
  full,
  gelu,
  greater,
  greaterEqual,
  less,
  lessEqual,
  log,
  logSoftmax,
  matmul,
  max,
  maximum,
  mean,
  minimum,
  neg,
  normAxes,
  normAxis,
  pad,
  relu,
  reshape,
  rsqrt,
  sigmoid,
  sizeOf,
  slice,
  softmax,
  sqrt,
  squeeze,
  sum,
  take,
  type Tensor,
  transpose,
  where,
} from "@mfm/tensor";
import type { AttributeProto, NodeProto } from "./proto.ts";
import { ONNX_DTYPE } from "./proto.ts";
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

/** What an operator implementation receives. */
export interface OpContext {
  /** The node. */
  readonly node: NodeProto;
  /** The default-domain opset of the model. */
  readonly opset: number;
  /** Input values (undefined for omitted optional inputs). */
  readonly inputs: readonly (Value | undefined)[];
  /** `node "name" (OpType)` for messages. */
  readonly where: string;
}

/** An operator implementation: one output, or several. */
export type OpImpl = (c: OpContext) => Value | Value[];

function attr(c: OpContext, name: string): AttributeProto | undefined {
  return c.node.attribute?.find((a) => a.name === name);
}
const aInt = (c: OpContext, name: string, d: number) => attr(c, name)?.i ?? d;
const aFloat = (c: OpContext, name: string, d: number) => attr(c, name)?.f ?? d;
const aInts = (c: OpContext, name: string) => attr(c, name)?.ints?.map(Number);
const aStr = (c: OpContext, name: string, d: string) => {
  const s = attr(c, name)?.s;
  return s ? new TextDecoder().decode(s) : d;
};

function input(c: OpContext, i: number): Value {
  const v = c.inputs[i];
  if (v === undefined) throw new Error(`${c.where}: input ${i} is missing`);
  return v;
}
/** Input i as a tensor, float constants taking the dtype of the first tensor input. */
function T(c: OpContext, i: number): Tensor {
  const like = c.inputs.find((v) => v !== undefined && !isHost(v)) as Tensor | undefined;
  return toTensor(input(c, i), like, c.where);
}

/** Elementwise on host constants with NumPy broadcasting (shape arithmetic). */
function hostBinary(
  a: HostValue,
  b: HostValue,
  f: (x: number, y: number) => number,
  elem = a.elem,
): HostValue {
  const shape = broadcastShapes(a.shape, b.shape);
  const n = sizeOf(shape);
  const at = (
    v: HostValue,
    i: number,
  ) => (v.data.length === 1 ? v.data[0] : v.data[i % v.data.length]);
  return host(elem, shape, Array.from({ length: n }, (_, i) => f(at(a, i), at(b, i))));
}

function binary(f: (a: Tensor, b: Tensor) => Tensor, h?: (x: number, y: number) => number): OpImpl {
  return (c) => {
    const [a, b] = [input(c, 0), input(c, 1)];
    if (h && isHost(a) && isHost(b)) return hostBinary(a, b, h);
    return f(T(c, 0), T(c, 1));
  };
}

const unary = (f: (x: Tensor) => Tensor): OpImpl => (c) => f(T(c, 0));

function axesOf(c: OpContext, inputIndex: number): number[] | undefined {
  const fromInput = c.inputs[inputIndex];
  if (fromInput !== undefined) return ints(fromInput, `${c.where} axes`);
  return aInts(c, "axes");
}

function reduce(
  f: (x: Tensor, axes: number[], keep: boolean) => Tensor,
  axesAsInputFrom: number,
): OpImpl {
  return (c) => {
    const x = T(c, 0);
    const keep = aInt(c, "keepdims", 1) === 1;
    let axes = c.opset >= axesAsInputFrom ? axesOf(c, 1) : aInts(c, "axes");
    if (!axes || axes.length === 0) {
      if (aInt(c, "noop_with_empty_axes", 0) === 1) return x;
      axes = x.shape.map((_, i) => i);
    }
    return f(x, normAxes(axes, x.rank, c.where), keep);
  };
}

function castTo(elem: number, where: string): DType {
  return dtypeOfElem(elem, where);
}

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

function convPads(
  c: OpContext,
  x: Tensor,
  w: Tensor,
  strides: number[],
  dil: number[],
): [[number, number], [number, number]] {
  const autoPad = aStr(c, "auto_pad", "NOTSET");
  if (autoPad === "NOTSET") {
    const p = aInts(c, "pads") ?? [0, 0, 0, 0];
    return [[p[0], p[2]], [p[1], p[3]]];
  }
  if (autoPad === "VALID") return [[0, 0], [0, 0]];
  if (autoPad !== "SAME_UPPER" && autoPad !== "SAME_LOWER") {
    throw new Error(`${c.where}: auto_pad "${autoPad}" is not supported`);
  }
  return [0, 1].map((i) => {
    const n = x.shape[2 + i];
    const out = Math.ceil(n / strides[i]);
    const total = Math.max(0, (out - 1) * strides[i] + (w.shape[2 + i] - 1) * dil[i] + 1 - n);
    const small = Math.floor(total / 2);
    return autoPad === "SAME_UPPER" ? [small, total - small] : [total - small, small];
  }) as [[number, number], [number, number]];
}

function softmaxLegacy(f: (x: Tensor, axis: number) => Tensor): OpImpl {
  return (c) => {
    const x = T(c, 0);
    if (c.opset >= 13) return f(x, aInt(c, "axis", -1));
    // before opset 13: flatten to [prod(:axis), prod(axis:)] and normalise the rows
    const axis = normAxis(aInt(c, "axis", 1), x.rank, c.where);
    const rows = sizeOf(x.shape.slice(0, axis));
    return reshape(f(reshape(x, [rows, -1]), -1), x.shape);
  };
}

/** Every supported operator, by ONNX op_type. */
export const ONNX_OPS: Record<string, OpImpl> = {
  Identity: (c) => input(c, 0),
  Dropout: (c) => input(c, 0),
  Constant: (c) => {
    const a = c.node.attribute?.[0];
    if (!a) throw new Error(`${c.where}: Constant without a value`);
    if (a.name === "value" && a.t) return decodeTensor(a.t, c.where);
    if (a.name === "value_float") return host(ONNX_DTYPE.FLOAT, [], [a.f ?? 0]);
    if (a.name === "value_floats") {
      return host(ONNX_DTYPE.FLOAT, [a.floats?.length ?? 0], a.floats ?? []);
    }
    if (a.name === "value_int") return host(ONNX_DTYPE.INT64, [], [Number(a.i ?? 0)]);
    if (a.name === "value_ints") {
      return host(ONNX_DTYPE.INT64, [a.ints?.length ?? 0], (a.ints ?? []).map(Number));
    }
    throw new Error(`${c.where}: Constant attribute "${a.name}" is not supported`);
  },
  Add: binary((a, b) => a.add(b), (x, y) => x + y),
  Sub: binary((a, b) => a.sub(b), (x, y) => x - y),
  Mul: binary((a, b) => a.mul(b), (x, y) => x * y),
  Div: binary((a, b) => a.div(b), (x, y) => Math.trunc(x / y)),
  Pow: (c) => {
    const a = T(c, 0);
    return a.pow(cast(toTensor(input(c, 1), a, c.where), a.dtype));
  },
  Max: (c) => c.inputs.map((_, i) => T(c, i)).reduce((a, b) => maximum(a, b)),
  Min: (c) => c.inputs.map((_, i) => T(c, i)).reduce((a, b) => minimum(a, b)),
  Sum: (c) => c.inputs.map((_, i) => T(c, i)).reduce((a, b) => a.add(b)),
  Neg: unary(neg),
  Exp: unary(exp),
  Log: unary(log),
  Sqrt: unary(sqrt),
  Reciprocal: unary((x) => x.pow(-1)),
  Erf: unary(erf),
  Sin: unary((x) => x.sin()),
  Cos: unary((x) => x.cos()),
  Abs: unary((x) => x.abs()),
  Relu: unary(relu),
  LeakyRelu: (c) => {
    const x = T(c, 0);
    return where(greater(x, 0), x, x.mul(aFloat(c, "alpha", 0.01)));
  },
  Sigmoid: unary(sigmoid),
  Tanh: unary((x) => x.tanh()),
  Gelu: (c) => gelu(T(c, 0), aStr(c, "approximate", "none") as "none" | "tanh"),
  Softmax: softmaxLegacy(softmax),
  LogSoftmax: softmaxLegacy(logSoftmax),
  Less: binary(less),
  LessOrEqual: binary(lessEqual),
  Greater: binary(greater),
  GreaterOrEqual: binary(greaterEqual),
  Equal: binary(equal, (x, y) => (x === y ? 1 : 0)),
  Not: (c) => equal(cast(T(c, 0), "int32"), 0),
  Where: (c) => where(T(c, 0), T(c, 1), T(c, 2)),
  Cast: (c) => {
    const to = aInt(c, "to", 0);
    const v = input(c, 0);
    if (isHost(v)) {
      return host(
        to,
        v.shape,
        to === ONNX_DTYPE.FLOAT || to === ONNX_DTYPE.DOUBLE ? v.data : v.data.map(Math.trunc),
      );
    }
    return cast(v, castTo(to, c.where));
  },
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
  MatMul: (c) => matmul(T(c, 0), T(c, 1)),
  Gemm: (c) => {
    let a = T(c, 0);
    let b = T(c, 1);
    if (aInt(c, "transA", 0)) a = a.transpose();
    if (aInt(c, "transB", 0)) b = b.transpose();
    let y = matmul(a, b).mul(aFloat(c, "alpha", 1));
    if (c.inputs[2] !== undefined) y = y.add(T(c, 2).mul(aFloat(c, "beta", 1)));
    return y;
  },
  Conv: (c) => {
    const x = T(c, 0);
    const w = T(c, 1);
    if (x.rank !== 4) {
      throw new Error(
        `${c.where}: only 2-D convolutions (rank-4 input) are supported, got rank ${x.rank}`,
      );
    }
    if (aInt(c, "group", 1) !== 1) {
      throw new Error(
        `${c.where}: grouped convolutions (group ${aInt(c, "group", 1)}) are not supported`,
      );
    }
    const strides = aInts(c, "strides") ?? [1, 1];
    const dil = aInts(c, "dilations") ?? [1, 1];
    const padding = convPads(c, x, w, strides, dil);
    const bias = c.inputs[2] !== undefined ? T(c, 2) : undefined;
    return conv2d(x, w, {
      stride: [strides[0], strides[1]],
      dilation: [dil[0], dil[1]],
      padding,
      bias,
    });
  },
  BatchNormalization: (c) => {
    if (aInt(c, "training_mode", 0) !== 0) {
      throw new Error(`${c.where}: only inference-mode BatchNormalization is supported`);
    }
    const x = T(c, 0);
    const chan = [1, x.shape[1], ...x.shape.slice(2).map(() => 1)];
    const [scale, b, m, v] = [1, 2, 3, 4].map((i) => reshape(T(c, i), chan));
    return x.sub(m).mul(rsqrt(v.add(aFloat(c, "epsilon", 1e-5)))).mul(scale).add(b);
  },
  LayerNormalization: (c) => {
    const x = T(c, 0);
    const axis = normAxis(aInt(c, "axis", -1), x.rank, c.where);
    const axes = x.shape.map((_, i) => i).slice(axis);
    const mu = mean(x, axes, true);
    const xc = x.sub(mu);
    let y = xc.mul(rsqrt(mean(xc.square(), axes, true).add(aFloat(c, "epsilon", 1e-5)))).mul(
      T(c, 1),
    );
    if (c.inputs[2] !== undefined) y = y.add(T(c, 2));
    return y;
  },
  ReduceSum: reduce((x, a, k) => sum(x, a, k), 13),
  ReduceMean: reduce((x, a, k) => mean(x, a, k), 18),
  ReduceMax: reduce((x, a, k) => max(x, a, k), 18),
  ReduceMin: reduce((x, a, k) => max(x.neg(), a, k).neg(), 18),
  ScatterElements: (c) => {
    if (aStr(c, "reduction", "none") !== "add") {
      throw new Error(`${c.where}: only ScatterElements with reduction "add" is supported`);
    }
    const data = T(c, 0);
    const idx = cast(T(c, 1), "int32");
    const upd = T(c, 2);
    const axis = normAxis(aInt(c, "axis", 0), data.rank, c.where);
    // one-hot along a new axis: out[.., j, ..] = data + Σ_i upd[.., i, ..]·[idx[.., i, ..] = j]
    const n = data.shape[axis];
    const range = Array.from({ length: n }, (_, j) => j);
    const js = toTensor(host(ONNX_DTYPE.INT32, [n], range), undefined, c.where);
    const expand = (t: Tensor) =>
      reshape(t, [...t.shape.slice(0, axis + 1), 1, ...t.shape.slice(axis + 1)]);
    const jsShape = upd.shape.map(() => 1);
    jsShape.splice(axis + 1, 0, n);
    const onehot = cast(equal(expand(idx), reshape(js, jsShape)), upd.dtype);
    return data.add(sum(expand(upd).mul(onehot), axis));
  },
};

/**
 * Names of the supported operators.
 *
 * @example
 * ```ts
 * SUPPORTED_ONNX_OPS.includes("Gemm"); // true
 * ```
 */
export const SUPPORTED_ONNX_OPS: readonly string[] = Object.keys(ONNX_OPS).sort();
