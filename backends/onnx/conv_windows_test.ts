import assert from "assert";
import "@mfm/backends/cpu";
import "@mfm/backends/onnx";
import {
  conv2d,
  type Conv2dOptions,
  grad,
  jit,
  key,
  makeGraph,
  normal,
  registerBackend,
  setBackend,
  split,
  type Tensor,
} from "@mfm/tensor";
import { convWindow, useConvWindows } from "./conv_windows.ts";
import { lowerToOnnx, OnnxBackend } from "./mod.ts";

registerBackend("onnx-conv", () => new OnnxBackend({ name: "onnx-conv", convWindows: false }));

const unit = {
  strides: [1, 1],
  padding: [[1, 1], [1, 1]],
  lhsDilation: [1, 1],
  rhsDilation: [1, 1],
} as const;

Deno.test("useConvWindows: small output planes under kernels at least as large; no input dilation", () => {
  assert.equal(useConvWindows(unit, [3, 3], [16, 64, 28, 28]), true); // a kernel cotangent
  assert.equal(useConvWindows(unit, [1, 1], [16, 64, 28, 28]), true); // a 1×1 conv's
  assert.equal(useConvWindows(unit, [28, 28], [16, 16, 3, 3]), false); // an ordinary conv
  assert.equal(useConvWindows(unit, [6, 6], [16, 16, 5, 5]), false); // 36 > 25 positions
  assert.equal(useConvWindows(unit, [3, 3], [16, 16, 2, 2]), false); // kernel smaller than output
  assert.equal(useConvWindows({ ...unit, lhsDilation: [2, 1] }, [3, 3], [1, 1, 9, 9]), false);
});

Deno.test("convWindow: starts advance by the stride, ends span the dilated kernel", () => {
  const p = { ...unit, strides: [2, 3], rhsDilation: [2, 1] } as const;
  assert.deepEqual(convWindow(p, [3, 4], 1, 2), { starts: [2, 6], ends: [7, 10], steps: [2, 1] });
  assert.deepEqual(convWindow(unit, [5, 5], 0, 0), { starts: [0, 0], ends: [5, 5], steps: [1, 1] });
});

// A conv and its input and kernel cotangents (the kernel cotangent is the windowed conv).
function convAndGrads(x: Tensor, w: Tensor, opts: Conv2dOptions) {
  const loss = (a: Tensor, b: Tensor) => conv2d(a, b, opts).square().sum();
  return {
    y: conv2d(x, w, opts),
    dx: grad((a: Tensor) => loss(a, w))(x),
    dw: grad((b: Tensor) => loss(x, b))(w),
  };
}

const CASES: { name: string; x: number[]; w: number[]; opts: Conv2dOptions }[] = [
  { name: "3×3, padding 1", x: [3, 4, 9, 9], w: [5, 4, 3, 3], opts: { padding: 1 } },
  {
    name: "stride 2 (dilated kernel cotangent)",
    x: [2, 3, 8, 7],
    w: [4, 3, 3, 3],
    opts: { stride: 2, padding: 1 },
  },
  { name: "1×1 kernel", x: [2, 6, 5, 5], w: [3, 6, 1, 1], opts: {} },
  {
    name: "asymmetric padding, dilation 2",
    x: [2, 2, 9, 8],
    w: [3, 2, 3, 2],
    opts: { padding: [[2, 0], [1, 1]], dilation: 2 },
  },
  { name: "direct: 2×2 output from a large kernel", x: [2, 3, 6, 6], w: [4, 3, 5, 5], opts: {} },
];

for (const c of CASES) {
  Deno.test(`onnx conv as windows (${c.name}): value and cotangents match Conv and the cpu oracle`, () => {
    const [kx, kw] = split(key(c.x.length * 31 + c.w[2]), 2);
    const run = (backend: string) => {
      setBackend(backend);
      try {
        const f = jit((x: Tensor, w: Tensor) => convAndGrads(x, w, c.opts));
        const r = f(normal(kx, c.x), normal(kw, c.w));
        return { y: r.y.dataSync(), dx: r.dx.dataSync(), dw: r.dw.dataSync() };
      } finally {
        setBackend("cpu");
      }
    };
    const [oracle, windows, plain] = [run("cpu"), run("onnx"), run("onnx-conv")];
    for (const k of ["y", "dx", "dw"] as const) {
      const scale = Math.max(...Array.from(oracle[k], Math.abs));
      for (const other of [windows, plain]) {
        const err = Math.max(...Array.from(oracle[k], (v, i) => Math.abs(v - other[k][i])));
        assert.ok(err <= 1e-5 * scale, `${c.name} ${k}: max error ${err} vs scale ${scale}`);
      }
    }
  });
}

Deno.test("the kernel cotangent of a 3×3 conv lowers to window slices + Gemm, not Conv", () => {
  const x = normal(key(1), [2, 3, 8, 8]);
  const w = normal(key(2), [4, 3, 3, 3]);
  const graph = makeGraph((b: Tensor) => conv2d(x, b, { padding: 1 }).square().sum(), w);
  const g = makeGraph(
    (b: Tensor) => grad((v: Tensor) => conv2d(x, v, { padding: 1 }).square().sum())(b),
    w,
  );
  const host = (gr: typeof graph) => ({
    ...gr,
    consts: gr.consts.map((c) => ({
      v: c.v,
      value: { shape: c.value.shape, dtype: c.value.dtype, data: c.value.dataSync() },
    })),
  });
  const ops = (gr: typeof graph, convWindows: boolean) =>
    lowerToOnnx(host(gr), { convWindows }).graph.node.map((n) => n.opType);
  assert.deepEqual(ops(graph, true).filter((o) => o === "Conv").length, 1); // the forward stays Conv
  const backward = ops(g, true);
  assert.equal(backward.filter((o) => o === "Conv").length, 1); // forward only: no Conv for dW
  assert.equal(backward.filter((o) => o === "Gemm").length, 9);
  assert.equal(backward.filter((o) => o === "Slice").length, 9); // one window per 3×3 position
  assert.equal(ops(g, false).filter((o) => o === "Conv").length, 2);
});
