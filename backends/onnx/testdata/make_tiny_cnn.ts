// Writes tiny_cnn.onnx, a small hand-built model in the shape of a PyTorch CNN/ViT export
// (opset 17): Conv → BatchNormalization → Relu → Shape/Gather/Unsqueeze/Concat/Reshape flatten
// → Gemm → LayerNormalization → erf-GELU → token mixing with Transpose/MatMul/Softmax → Slice,
// Squeeze/Unsqueeze, ReduceMean, Where, Sqrt, Pow, Sigmoid, Tanh → logits. The weights come
// from a fixed key. Run: deno run -A backends/onnx/testdata/make_tiny_cnn.ts
import "@mfm/backends/cpu";
import { key, normal, split } from "@mfm/tensor";
import { encodeModel, type NodeProto, type TensorProto } from "../proto.ts";

const ks = split(key(2024), 8);
const f32 = (name: string, shape: number[], k: number, scale = 0.3): TensorProto => {
  const data = normal(ks[k], shape, { std: scale }).dataSync() as Float32Array;
  return { name, dims: shape, dataType: 1, rawData: new Uint8Array(data.buffer.slice(0)) };
};
const i64 = (name: string, values: number[]): TensorProto => ({
  name,
  dims: [values.length],
  dataType: 7,
  rawData: new Uint8Array(new BigInt64Array(values.map(BigInt)).buffer),
});
const scalar = (v: number) => ({
  name: "value",
  type: 4,
  t: { dims: [], dataType: 1, floatData: [v] },
});
const ints = (name: string, v: number[]) => ({ name, type: 7, ints: v });
const int = (name: string, i: number) => ({ name, type: 2, i });
const float = (name: string, f: number) => ({ name, type: 1, f });
const node = (
  opType: string,
  input: string[],
  output: string[],
  attribute: object[] = [],
): NodeProto => ({
  opType,
  input,
  output,
  name: `${opType.toLowerCase()}_${output[0]}`,
  attribute: attribute as NodeProto["attribute"],
});

const initializer: TensorProto[] = [
  f32("conv.w", [4, 1, 3, 3], 0),
  f32("conv.b", [4], 1, 0.1),
  { ...f32("bn.scale", [4], 2, 0.1) },
  f32("bn.bias", [4], 3, 0.1),
  f32("bn.mean", [4], 4, 0.1),
  { name: "bn.var", dims: [4], dataType: 1, floatData: [1.2, 0.8, 1.5, 0.9] },
  f32("fc.w", [8, 36], 5, 0.2),
  f32("fc.b", [8], 6, 0.1),
  { name: "ln.scale", dims: [8], dataType: 1, floatData: [1, 1.1, 0.9, 1, 1.2, 0.8, 1, 1] },
  f32("head.w", [4, 3], 7, 0.5),
  i64("gather.idx", [0]),
  i64("minus1", [-1]),
  i64("axes0", [0]),
  i64("axes1", [1]),
  i64("slice.starts", [0]),
  i64("slice.ends", [4]),
  i64("token.shape", [-1, 2, 4]),
];

const nodes: NodeProto[] = [
  node("Conv", ["x", "conv.w", "conv.b"], ["c1"], [
    ints("pads", [1, 1, 1, 1]),
    ints("strides", [2, 2]),
    ints("kernel_shape", [3, 3]),
  ]),
  node("BatchNormalization", ["c1", "bn.scale", "bn.bias", "bn.mean", "bn.var"], ["b1"], [
    float("epsilon", 1e-5),
  ]),
  node("Relu", ["b1"], ["r1"]),
  // PyTorch's x.view(x.size(0), -1)
  node("Shape", ["r1"], ["s1"]),
  node("Gather", ["s1", "gather.idx"], ["n1"], [int("axis", 0)]),
  node("Concat", ["n1", "minus1"], ["shape1"], [int("axis", 0)]),
  node("Reshape", ["r1", "shape1"], ["flat"]),
  node("Gemm", ["flat", "fc.w", "fc.b"], ["h1"], [int("transB", 1)]),
  node("LayerNormalization", ["h1", "ln.scale"], ["h2"], [int("axis", -1), float("epsilon", 1e-5)]),
  // GELU as PyTorch exports it before opset 20: x·(1 + erf(x/√2))/2
  node("Constant", [], ["sqrt2"], [scalar(Math.SQRT2)]),
  node("Div", ["h2", "sqrt2"], ["g1"]),
  node("Erf", ["g1"], ["g2"]),
  node("Constant", [], ["one"], [scalar(1)]),
  node("Add", ["g2", "one"], ["g3"]),
  node("Mul", ["h2", "g3"], ["g4"]),
  node("Constant", [], ["half"], [scalar(0.5)]),
  node("Mul", ["g4", "half"], ["gelu"]),
  // tokens: [batch, 2, 4] with attention-like mixing
  node("Reshape", ["gelu", "token.shape"], ["tok"]),
  node("Transpose", ["tok"], ["tokT"], [ints("perm", [0, 2, 1])]),
  node("MatMul", ["tok", "tokT"], ["scores"]),
  node("Softmax", ["scores"], ["attn"], [int("axis", -1)]),
  node("MatMul", ["attn", "tok"], ["mixed"]),
  node("ReduceMean", ["mixed"], ["pooled"], [ints("axes", [1]), int("keepdims", 0)]),
  node("Slice", ["pooled", "slice.starts", "slice.ends", "axes1"], ["feat"]),
  node("Unsqueeze", ["feat", "axes0"], ["feat3"]),
  node("Squeeze", ["feat3", "axes0"], ["feat2"]),
  node("Sigmoid", ["feat2"], ["sig"]),
  node("Tanh", ["feat2"], ["th"]),
  node("Greater", ["feat2", "half"], ["mask"]),
  node("Where", ["mask", "sig", "th"], ["sel"]),
  node("Mul", ["sel", "sel"], ["sq"]),
  node("Add", ["sq", "one"], ["sq1"]),
  node("Sqrt", ["sq1"], ["rt"]),
  node("Constant", [], ["two"], [scalar(2)]),
  node("Pow", ["rt", "two"], ["pw"]),
  node("Sub", ["pw", "one"], ["feat_out"]),
  node("MatMul", ["feat_out", "head.w"], ["logits0"]),
  node("Identity", ["logits0"], ["logits"]),
];

const bytes = encodeModel({
  irVersion: 8,
  opsetImport: [{ domain: "", version: 17 }],
  producerName: "mfm testdata (hand-built)",
  graph: {
    name: "tiny_cnn",
    node: nodes,
    initializer,
    input: [{
      name: "x",
      type: {
        tensorType: {
          elemType: 1,
          shape: {
            dim: [{ dimParam: "batch" }, { dimValue: 1 }, { dimValue: 6 }, { dimValue: 6 }],
          },
        },
      },
    }],
    output: [{
      name: "logits",
      type: {
        tensorType: { elemType: 1, shape: { dim: [{ dimParam: "batch" }, { dimValue: 3 }] } },
      },
    }],
  },
});
await Deno.writeFile(new URL("tiny_cnn.onnx", import.meta.url), bytes);
console.log(`wrote tiny_cnn.onnx (${bytes.length} bytes, ${nodes.length} nodes)`);
