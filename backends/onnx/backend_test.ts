import assert from "assert";
import "@mfm/backends/cpu";
import "@mfm/backends/onnx";
import { getBackend, jit, key, normal, setBackend, type Tensor, tensor } from "@mfm/tensor";
import { decodeModel, LOWERING, lowerToOnnx, OnnxBackend, OPSET, renderOnnx } from "./mod.ts";
import { PRIMS, Var } from "@mfm/tensor";

Deno.test("asking for cuda either works or fails at creation with what is missing and how to install it", () => {
  let backend: OnnxBackend | undefined;
  try {
    backend = new OnnxBackend({ executionProvider: "cuda", name: "onnx-cuda-test" });
  } catch (e) {
    const msg = (e as Error).message;
    assert.match(msg, /CUDA execution provider is not available/);
    assert.match(msg, /libonnxruntime_providers_cuda\.so/);
    assert.match(msg, /ONNXRUNTIME_NODE_INSTALL=cuda12/);
    return;
  }
  // a machine with the CUDA provider: it must compute
  const b = backend.upload({ shape: [2], dtype: "float32", data: new Float32Array([1, 2]) });
  const out = backend.executeOp("exp", {}, [b], b.aval);
  assert.deepEqual(Array.from(backend.readSync(out).data).map((v) => +v.toFixed(4)), [
    2.7183,
    7.3891,
  ]);
});

Deno.test("backend options are validated", () => {
  assert.throws(
    () => new OnnxBackend({ executionProvider: "tpu" as "cpu" }),
    /executionProvider "tpu" is not one of cpu, cuda/,
  );
  assert.throws(() => new OnnxBackend({ intraOpNumThreads: 0 }), /intraOpNumThreads 0/);
  assert.throws(() => new OnnxBackend({ threads: 2 } as never), /unknown option "threads"/);
});

Deno.test("lowering is a pure function: every primitive has a rule; aliasing outputs get their own nodes", () => {
  assert.deepEqual(Object.keys(LOWERING).sort(), [...PRIMS].sort());
  const x = new Var(0, { shape: [3], dtype: "float32" });
  const model = lowerToOnnx({ inputs: [x], consts: [], eqns: [], outputs: [x, x] });
  assert.equal(model.opsetImport[0].version, OPSET);
  assert.deepEqual(model.graph.output.map((o) => o.name), ["out0", "out1"]);
  assert.deepEqual(model.graph.node.map((n) => n.opType), ["Identity", "Identity"]);
  const back = decodeModel(renderOnnx({ inputs: [x], consts: [], eqns: [], outputs: [x] }));
  assert.equal(back.graph.input[0].name, "in0");
});

Deno.test("eager ops and reads work on onnx like on cpu", () => {
  setBackend("onnx");
  try {
    const x = normal(key(0), [4]);
    assert.equal(getBackend().name, "onnx");
    assert.equal(x.exp().log().sub(x).abs().max().item() < 1e-6, true);
    assert.deepEqual(tensor([1, 2]).add(1).toArray(), [2, 3]);
  } finally {
    setBackend("cpu");
  }
});

Deno.test("onnx: MFM_ONNX_THREADS sets the default threads and is checked", () => {
  const old = Deno.env.get("MFM_ONNX_THREADS");
  try {
    Deno.env.set("MFM_ONNX_THREADS", "0");
    assert.throws(() => new OnnxBackend(), /MFM_ONNX_THREADS "0" must be a positive integer/);
    Deno.env.set("MFM_ONNX_THREADS", "1");
    assert.equal(new OnnxBackend().settings.intraOpNumThreads, 1);
    assert.equal(new OnnxBackend({ intraOpNumThreads: 2 }).settings.intraOpNumThreads, 2);
  } finally {
    if (old === undefined) Deno.env.delete("MFM_ONNX_THREADS");
    else Deno.env.set("MFM_ONNX_THREADS", old);
  }
});

Deno.test("onnx-noarena: registered, without the arena, same numbers as onnx", () => {
  const x = [[1, -2, 3], [0.5, 4, -1]];
  const f = (name: string) => {
    setBackend(name);
    try {
      return jit((t: Tensor) => t.mul(t).sum(-1).exp().log())(tensor(x)).dataSync();
    } finally {
      setBackend("cpu");
    }
  };
  assert.deepEqual(Array.from(f("onnx-noarena")), Array.from(f("onnx")));
  assert.equal(new OnnxBackend({ memoryArena: false }).settings.memoryArena, false);
});

Deno.test("broadcast repeating the innermost axis lowers to Concat (+ Expand) with the same values as cpu", () => {
  const cases: [number[], number[]][] = [
    [[2, 3, 1], [2, 3, 2]], // only the innermost axis: a Concat alone
    [[2, 1, 3, 1], [2, 4, 3, 2]], // a nearest upsample's pattern: Concat, then Expand
    [[1], [5]],
    [[3, 1], [3, 9]], // 9 copies: past the Concat limit, Expand
    [[3], [2, 3]], // rank-extending: Expand
  ];
  for (const [from, to] of cases) {
    const x = new Var(0, { shape: from, dtype: "float32" });
    const out = new Var(1, { shape: to, dtype: "float32" });
    const model = lowerToOnnx({
      inputs: [x],
      consts: [],
      eqns: [{ prim: "broadcast", inputs: [x], params: { shape: to }, out }],
      outputs: [out],
    });
    const ops = model.graph.node.map((n) => n.opType);
    const concat = from.length === to.length && from.at(-1) === 1 && to.at(-1)! <= 8;
    assert.equal(ops.includes("Concat"), concat, `${from} → ${to}: ${ops.join(" ")}`);
    const data = Array.from({ length: from.reduce((a, b) => a * b, 1) }, (_, i) => i + 1);
    const run = (backend: string) => {
      setBackend(backend);
      try {
        return Array.from(
          jit((t: Tensor) => t.broadcastTo(to))(tensor(data).reshape(from)).dataSync(),
        );
      } finally {
        setBackend("cpu");
      }
    };
    assert.deepEqual(run("onnx"), run("cpu"), `${from} → ${to}`);
  }
});
