// Elementwise fusion: chains collapse into one kernel (pure, no device), values shared by two
// consumers or returned stay materialised, and fused graphs compute the cpu oracle's numbers.
import assert from "assert";
import "@mfm/backends/cpu";
import {
  assertAllClose,
  concat,
  jit,
  key,
  normal,
  setBackend,
  sigmoid,
  split,
  type Tensor,
  traceFlat,
} from "@mfm/tensor";
import { fuseKernels } from "./fuse.ts";
import { webGpuForTests } from "./test_device.ts";

const f32 = (shape: number[]) => ({ shape, dtype: "float32" as const });

Deno.test("fusion: an elementwise chain is one kernel, reads its input once", () => {
  // tanh(x·σ(x) + 1) − x: logistic, mul, add, tanh, sub over one input
  const { graph } = traceFlat(
    ([x]) => [x.mul(sigmoid(x)).add(1).tanh().sub(x)],
    [f32([4, 8])],
  );
  const steps = fuseKernels(graph);
  assert.equal(steps.length, 1, graph.eqns.map((e) => e.prim).join(","));
  assert.equal(steps[0].eqns, graph.eqns.length);
  assert.equal(steps[0].out, graph.outputs[0]);
  // the constant 1 and x are the only bindings; x once although used three times
  assert.equal(steps[0].inputs.filter((v) => v === graph.inputs[0]).length, 1);
  assert.match(steps[0].kernel.code, /let t0 = /);
});

Deno.test("fusion: stops at non-elementwise ops, shared values and outputs", () => {
  const { graph } = traceFlat(([x, w]) => {
    const h = x.matmul(w).exp(); // dot is not fused; exp feeds two consumers
    const y = h.mul(2).add(h.neg()); // so h stays materialised
    return [y, h.sum()];
  }, [f32([3, 4]), f32([4, 5])]);
  const steps = fuseKernels(graph);
  // dot; exp (two readers); the scalar broadcast of 2 with mul, neg, add; the reduction
  assert.deepEqual(steps.map((s) => s.eqns), [1, 1, 4, 1]);
  const exp = graph.eqns.find((e) => e.prim === "exp")!;
  assert.ok(steps.some((s) => s.out === exp.out), "exp, read twice, keeps its buffer");
});

// x0 + x1 + … + x11: twelve distinct inputs, more than one kernel may bind
const wideSum = (xs: Tensor[]) => xs.reduce((a, b) => a.add(b));

Deno.test("fusion: a kernel binds at most maxInputs buffers", () => {
  const { graph } = traceFlat((xs) => [wideSum(xs)], Array.from({ length: 12 }, () => f32([5])));
  for (const limit of [2, 3, 7]) {
    const steps = fuseKernels(graph, limit);
    for (const s of steps) assert.ok(s.inputs.length <= limit, `${s.inputs.length} > ${limit}`);
    assert.equal(steps.reduce((n, s) => n + s.eqns, 0), graph.eqns.length);
  }
  assert.equal(fuseKernels(graph, 7).length, 2); // 7 inputs, then the other 5 and the partial sum
});

// a concat of twelve inputs: wider than a kernel may bind
const wideConcat = (xs: Tensor[]) => concat(xs, 1);

Deno.test("fusion: a concat wider than the binding limit becomes a tree of concats", () => {
  const avals = Array.from({ length: 12 }, (_, i) => f32([2, i + 1]));
  const { graph } = traceFlat((xs) => [wideConcat(xs)], avals);
  for (const limit of [2, 3, 7]) {
    const steps = fuseKernels(graph, limit);
    for (const s of steps) assert.ok(s.inputs.length <= limit, `${s.inputs.length} > ${limit}`);
    assert.equal(steps.at(-1)!.out, graph.outputs[0]);
  }
});

const available = await webGpuForTests();

Deno.test({
  name: "fusion: fused graphs on webgpu match the cpu oracle",
  ignore: !available,
  fn: async () => {
    const [ka, kb] = split(key(3));
    const f = (x: Tensor, w: Tensor) => {
      const h = x.matmul(w);
      const g = h.mul(sigmoid(h)).add(0.5).tanh();
      return g.sub(h.exp().mul(0.1)).maximum(g.neg());
    };
    setBackend("cpu");
    const x = normal(ka, [16, 8]);
    const w = normal(kb, [8, 12]);
    const want = await jit(f)(x, w).data();
    setBackend("webgpu");
    try {
      const got = jit(f)(normal(ka, [16, 8]), normal(kb, [8, 12]));
      assertAllClose(await got.data(), want, { rtol: 1e-5, atol: 1e-5 });
      // past the binding limit (a fused kernel binding 9 buffers would fail validation)
      setBackend("cpu");
      const xs = Array.from({ length: 12 }, (_, i) => normal(key(i), [64]));
      const sum = await jit(wideSum)(xs).data();
      setBackend("webgpu");
      const ys = Array.from({ length: 12 }, (_, i) => normal(key(i), [64]));
      assertAllClose(await jit(wideSum)(ys).data(), sum, { rtol: 1e-5, atol: 1e-5 });
      setBackend("cpu");
      const cs = Array.from({ length: 12 }, (_, i) => normal(key(i), [3, i + 1]));
      const cat = await jit(wideConcat)(cs).data();
      setBackend("webgpu");
      const gs = Array.from({ length: 12 }, (_, i) => normal(key(i), [3, i + 1]));
      assertAllClose(await jit(wideConcat)(gs).data(), cat);
    } finally {
      setBackend("cpu");
    }
  },
});
