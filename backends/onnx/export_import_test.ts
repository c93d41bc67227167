// exportOnnx / importOnnx: round trips keep outputs and gradients; the hand-built fixture
// imports and agrees with ONNX Runtime running the same file; unsupported operators are named.
import assert from "assert";
import "@mfm/backends/cpu";
import "@mfm/backends/onnx";
import {
  assertAllClose,
  attention,
  concat,
  conv2d,
  convTranspose2d,
  flip,
  fromHost,
  gelu,
  getBackend,
  grad,
  groupNorm,
  jit,
  key,
  layerNorm,
  normal,
  pad,
  scatterAdd,
  setBackend,
  slice,
  softmax,
  split,
  take,
  type Tensor,
  tensor,
  where,
} from "@mfm/tensor";
import { initMlp, mlp } from "@mfm/nn";
import { createSession, fromOrt, toOrt } from "./runtime.ts";
import { decodeModel, encodeModel, exportOnnx, importOnnx, type OnnxModel } from "./mod.ts";

const FIXTURE = new URL("testdata/tiny_cnn.onnx", import.meta.url).pathname;

function onBackend<T>(name: string, f: () => T): T {
  const before = getBackend().name;
  setBackend(name);
  try {
    return f();
  } finally {
    setBackend(before);
  }
}

/** A function touching most primitives: conv, group norm, attention, gather/scatter, pad, rev, strided slice, max, select, erf. */
function richFn() {
  const [k1, k2, k3] = split(key(21), 3);
  const w = normal(k1, [4, 2, 3, 3], { std: 0.3 });
  const mlpP = initMlp(k2, [16, 16, 8]);
  const idx = tensor([3, 0, 2, 2], { dtype: "int32" });
  const bias = normal(k3, [8], { std: 0.1 });
  return (x: Tensor) => {
    const h = conv2d(x, w, { stride: 2, padding: 1 }); // [2, 4, 4, 4]
    const g = groupNorm(h, 2).reshape([2, 4, 16]);
    const a = attention(g, g, g).reshape([8, 16]);
    const m = mlp(mlpP, a, "gelu"); // [8, 8]
    const t = take(m, idx, 1).add(scatterAdd(slice(m, [0, 0], [8, 8], [1, 2]), idx, 1, 4)); // [8, 4]
    const p = flip(pad(t, [[0, 0], [1, 1]], 0.5), [1]); // [8, 6]
    const sel = where(p.greater(0), p, p.mul(0.1));
    return layerNorm(sel).add(softmax(sel, 0)).sub(gelu(sel, "tanh")).add(
      bias.reshape([8, 1]).max(),
    );
  };
}

async function roundTrip(backend: string): Promise<void> {
  const dir = await Deno.makeTempDir();
  const f = onBackend("cpu", richFn);
  const x = onBackend("cpu", () => normal(key(5), [2, 2, 8, 8]));
  const res = await exportOnnx(f, [x], `${dir}/rich.onnx`, {
    inputNames: ["image"],
    outputNames: ["features"],
  });
  assert.deepEqual(res.inputs.map((i) => i.name), ["image"]);
  const model = await importOnnx(`${dir}/rich.onnx`);
  assert.deepEqual(model.inputs, [{ name: "image", shape: [2, 2, 8, 8], dtype: "float32" }]);
  const c = onBackend("cpu", () => normal(key(6), [8, 6]));
  const want = onBackend("cpu", () => ({
    y: f(x),
    g: grad((z: Tensor) => f(z).mul(c).sum())(x),
  }));
  const got = onBackend(backend, () => {
    const xb = fromHost(x.hostSync());
    const cb = fromHost(c.hostSync());
    const call = (z: Tensor) => model.call(z)[0];
    return {
      y: jit(call)(xb),
      g: jit(grad((z: Tensor) => call(z).mul(cb).sum()))(xb),
    };
  });
  assertAllClose(
    await got.y.data(),
    want.y.dataSync(),
    { rtol: 2e-4, atol: 2e-5 },
    `${backend} outputs`,
  );
  assertAllClose(
    await got.g.data(),
    want.g.dataSync(),
    { rtol: 2e-4, atol: 2e-5 },
    `${backend} gradients`,
  );
  // the exported file runs on its own in ONNX Runtime
  const s = createSession(res.bytes, { executionProvider: "cpu", intraOpNumThreads: 1 });
  const [y] = s.run({ image: toOrt(x.hostSync()) }, ["features"]);
  assertAllClose(
    fromOrt(y, "float32").data,
    want.y.dataSync(),
    { rtol: 2e-4, atol: 2e-5 },
    "standalone ORT",
  );
}

Deno.test("export → import keeps outputs and gradients (imported model run on cpu)", () =>
  roundTrip("cpu"));
Deno.test("export → import keeps outputs and gradients (imported model run on onnx)", () =>
  roundTrip("onnx"));

Deno.test("ConvTranspose round trip: a decoder layer and a strided conv's input gradient export as ConvTranspose and import back", async () => {
  const dir = await Deno.makeTempDir();
  const [k1, k2, k3, k4] = split(key(31), 4);
  const [wt, w, b, x] = onBackend("cpu", () => [
    normal(k1, [3, 2, 3, 3], { std: 0.3 }),
    normal(k2, [4, 3, 3, 3], { std: 0.3 }),
    normal(k3, [2]),
    normal(k4, [2, 3, 5, 5]),
  ]);
  const f = (z: Tensor) => {
    const dec = convTranspose2d(z, wt, { stride: 2, padding: 1, outputPadding: 1, bias: b });
    const g = grad((y: Tensor) => conv2d(y, w, { stride: 2, padding: 1 }).square().sum())(z);
    return concat([dec.reshape([2, -1]), g.reshape([2, -1])], 1);
  };
  const res = await exportOnnx(f, [x], `${dir}/dec.onnx`);
  const ops = decodeModel(res.bytes).graph!.node!.map((n) => n.opType);
  assert.equal(ops.filter((o) => o === "ConvTranspose").length, 2, ops.join(" "));
  const model = await importOnnx(`${dir}/dec.onnx`);
  const want = onBackend("cpu", () => f(x).dataSync());
  assertAllClose(
    onBackend("cpu", () => model.call(x)[0].dataSync()),
    want,
    { rtol: 1e-4, atol: 1e-5 },
    "imported",
  );
  const s = createSession(res.bytes, { executionProvider: "cpu", intraOpNumThreads: 1 });
  const [y] = s.run({ [res.inputs[0].name]: toOrt(x.hostSync()) }, [res.outputs[0].name]);
  assertAllClose(fromOrt(y, "float32").data, want, { rtol: 1e-4, atol: 1e-5 }, "standalone ORT");
});

Deno.test("exported convs stay Conv even where the backend runs them as window products", async () => {
  const dir = await Deno.makeTempDir();
  const w = onBackend("cpu", () => normal(key(41), [5, 3, 3, 3]));
  const x = onBackend("cpu", () => normal(key(42), [2, 3, 4, 4]));
  const f = (z: Tensor) => conv2d(z, w); // a 2×2 output under a 3×3 kernel
  const res = await exportOnnx(f, [x], `${dir}/small.onnx`);
  const ops = decodeModel(res.bytes).graph!.node!.map((n) => n.opType);
  assert.deepEqual(ops.filter((o) => o === "Conv" || o === "Gemm"), ["Conv"], ops.join(" "));
});

Deno.test("the hand-built fixture imports and agrees with ONNX Runtime; its gradient matches finite differences", async () => {
  const model: OnnxModel = await importOnnx(FIXTURE);
  assert.deepEqual(model.inputs, [{ name: "x", shape: ["batch", 1, 6, 6], dtype: "float32" }]);
  const x = normal(key(9), [2, 1, 6, 6]);
  const session = createSession(await Deno.readFile(FIXTURE), {
    executionProvider: "cpu",
    intraOpNumThreads: 1,
  });
  const [ref] = session.run({ x: toOrt(x.hostSync()) }, ["logits"]);
  const [ours] = model.call(x);
  assert.deepEqual(ours.shape, [2, 3]);
  assertAllClose(ours.dataSync(), fromOrt(ref, "float32").data, { rtol: 1e-4, atol: 1e-5 });
  // gradient w.r.t. the input, in float64 through the imported graph: cast the input up
  const x64 = x.cast("float64");
  const loss = (z: Tensor) => model.call(z.cast("float32"))[0].cast("float64").square().sum();
  const g = grad(loss)(x64);
  const v = normal(key(10), [2, 1, 6, 6], { dtype: "float64" });
  const eps = 1e-2;
  const fd = (loss(x64.add(v.mul(eps))).item() - loss(x64.sub(v.mul(eps))).item()) / (2 * eps);
  const dir = g.mul(v).sum().item();
  assert.ok(
    Math.abs(fd - dir) < 2e-2 * (1 + Math.abs(dir)),
    `directional derivative ${dir} vs finite difference ${fd}`,
  );
});

Deno.test("unsupported operators, missing inputs and bad files fail with clear messages", async () => {
  const bad = encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    graph: {
      node: [{ opType: "LSTM", input: ["x"], output: ["y"], name: "rnn0" }],
      input: [{
        name: "x",
        type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }] } } },
      }],
      output: [{
        name: "y",
        type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }] } } },
      }],
    },
  });
  await assert.rejects(
    () => importOnnx(bad),
    /operator "LSTM" \(node "rnn0"\) is not supported; supported: Abs, Add, .*Gemm/,
  );
  await assert.rejects(
    () => importOnnx(new Uint8Array([1, 2, 3, 4, 5])),
    /not a valid ONNX protobuf|has no graph/,
  );
  const model = await importOnnx(FIXTURE);
  assert.throws(
    () => model.call(normal(key(0), [2, 1, 5, 5])),
    /input "x" expects float32\[batch,1,6,6\], got float32\[2,1,5,5\]/,
  );
  assert.throws(() => model.call(), /expected 1 inputs \(x\), got 0/);
});

Deno.test("dynamicBatch exports run at any batch size; batch-dependent constants are refused", async () => {
  const dir = await Deno.makeTempDir();
  const p = initMlp(key(30), [2, 16, 2]);
  // a posterior-sampler-like function: 16 draws per state, reshaped through [B·16, 2]
  const f = (x: Tensor, eps: Tensor) => {
    const rep = x.reshape([-1, 1, 2]).broadcastTo([x.shape[0], 16, 2]).reshape([-1, 2]);
    return mlp(p, rep.add(eps.reshape([-1, 2])), "silu").reshape([-1, 16, 2]).mean(1);
  };
  const res = await exportOnnx(
    f,
    [normal(key(1), [100, 2]), normal(key(2), [100, 16, 2])],
    `${dir}/dyn.onnx`,
    {
      dynamicBatch: true,
      inputNames: ["x", "eps"],
    },
  );
  assert.deepEqual(res.inputs.map((i) => i.shape), [["batch", 2], ["batch", 16, 2]]);
  const s = createSession(res.bytes, { executionProvider: "cpu", intraOpNumThreads: 1 });
  for (const b of [7, 300]) {
    const x = normal(key(3), [b, 2]);
    const eps = normal(key(4), [b, 16, 2]);
    const [y] = s.run({ x: toOrt(x.hostSync()), eps: toOrt(eps.hostSync()) }, ["output0"]);
    assertAllClose(
      fromOrt(y, "float32").data,
      f(x, eps).dataSync(),
      { rtol: 1e-4, atol: 1e-5 },
      `batch ${b}`,
    );
  }
  const centred = (x: Tensor) => x.sub(x.mean(0));
  await assert.rejects(
    () =>
      exportOnnx(centred, [normal(key(1), [100, 2])], `${dir}/bad.onnx`, { dynamicBatch: true }),
    /cannot free the batch size: constant .* depends on it/,
  );
});
