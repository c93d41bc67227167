/**
 * The ONNX operators `importOnnx` understands, each written with mfm ops (so imported models
 * trace, differentiate and run on every backend). Shape arithmetic on constants is folded on
 * the host.
 *
 * @module
 */

import {
  broadcastShapes,
  cast,
  conv2d,
  convTranspose2d,
  type DType,
  equal,
  erf,
  exp,
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
  relu,
  reshape,
  rsqrt,
  sigmoid,
  sizeOf,
  softmax,
  sqrt,
  sum,
  type Tensor,
  where,
} from "@mfm/tensor";
import {
  aFloat,
  aInt,
  aInts,
  aStr,
  input,
  type OpContext,
  type OpImpl,
  T,
} from "./import_context.ts";
import { SHAPE_OPS } from "./import_shape_ops.ts";
import { ONNX_DTYPE } from "./proto.ts";
import {
  decodeTensor,
  dtypeOfElem,
  host,
  type HostValue,
  ints,
  isHost,
  toTensor,
} from "./import_values.ts";

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
  ...SHAPE_OPS,
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
  ConvTranspose: (c) => {
    const x = T(c, 0);
    const w = T(c, 1);
    if (x.rank !== 4) {
      throw new Error(
        `${c.where}: only 2-D transposed convolutions (rank-4 input) are supported, got rank ${x.rank}`,
      );
    }
    if (aInt(c, "group", 1) !== 1) {
      throw new Error(
        `${c.where}: grouped transposed convolutions (group ${
          aInt(c, "group", 1)
        }) are not supported`,
      );
    }
    const autoPad = aStr(c, "auto_pad", "NOTSET");
    if ((autoPad !== "NOTSET" && autoPad !== "VALID") || aInts(c, "output_shape")) {
      throw new Error(
        `${c.where}: ConvTranspose with auto_pad "${autoPad}" or output_shape is not supported ` +
          "(give explicit pads and output_padding)",
      );
    }
    const strides = aInts(c, "strides") ?? [1, 1];
    const dil = aInts(c, "dilations") ?? [1, 1];
    const op = aInts(c, "output_padding") ?? [0, 0];
    const p = autoPad === "VALID" ? [0, 0, 0, 0] : aInts(c, "pads") ?? [0, 0, 0, 0];
    return convTranspose2d(x, w, {
      stride: [strides[0], strides[1]],
      dilation: [dil[0], dil[1]],
      padding: [[p[0], p[2]], [p[1], p[3]]],
      outputPadding: [op[0], op[1]],
      bias: c.inputs[2] !== undefined ? T(c, 2) : undefined,
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
