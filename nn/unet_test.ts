import assert from "assert";
import "@mfm/backends/cpu";
import "@mfm/backends/onnx";
import { assertAllClose, jit, key, normal, setBackend, type Tensor, tensor } from "@mfm/tensor";
import { avgPool2x, initUNet, unet, unetConfig, type UNetParams, upsample2x } from "@mfm/nn";

Deno.test("upsample2x / avgPool2x: nearest copies, means of 2×2 blocks, one undoes the other", () => {
  setBackend("cpu");
  const x = tensor([[[[1, 2], [3, 4]]]]);
  assert.deepEqual(
    Array.from(upsample2x(x).dataSync()),
    [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4],
  );
  assert.deepEqual(Array.from(avgPool2x(upsample2x(x)).dataSync()), [1, 2, 3, 4]);
  assert.throws(() => avgPool2x(normal(key(0), [1, 1, 3, 4])), /odd side/);
});

Deno.test("UNet: shapes, zero output at init, conditioning matters, onnx matches the cpu oracle", () => {
  setBackend("cpu");
  const cfg = unetConfig({
    inChannels: 2,
    outChannels: 1,
    channels: [8, 16],
    condDim: 4,
    embedDim: 16,
    groups: 4,
    attention: true,
  });
  const p0 = initUNet(key(0), cfg);
  const x = normal(key(1), [2, 2, 8, 8]);
  const c = normal(key(2), [2, 4]);
  const y0 = unet(cfg, p0, x, c);
  assert.deepEqual(y0.shape, [2, 1, 8, 8]);
  assert.ok(y0.dataSync().every((v) => v === 0), "the output convolution starts at zero");
  // give every zero-initialised kernel random values, so each path contributes
  const p: UNetParams = {
    ...p0,
    out: { ...p0.out, w: normal(key(3), p0.out.w.shape).mul(0.1) },
    down: p0.down.map((b, i) => ({
      ...b,
      conv2: { ...b.conv2, w: normal(key(10 + i), b.conv2.w.shape).mul(0.1) },
    })),
    up: p0.up.map((b, i) => ({
      ...b,
      conv2: { ...b.conv2, w: normal(key(20 + i), b.conv2.w.shape).mul(0.1) },
    })),
    attn: {
      ...p0.attn!,
      out: { ...p0.attn!.out, w: normal(key(4), p0.attn!.out.w.shape).mul(0.1) },
    },
  };
  const y = unet(cfg, p, x, c).dataSync();
  const y2 = unet(cfg, p, x, normal(key(5), [2, 4])).dataSync();
  assert.ok(
    y.some((v, i) => Math.abs(v - y2[i]) > 1e-4),
    "the conditioning vector changes the output",
  );
  setBackend("onnx");
  try {
    const f = jit((q: UNetParams, a: Tensor, b: Tensor) => unet(cfg, q, a, b));
    assertAllClose(f(p, x, c).dataSync(), y, { rtol: 1e-4, atol: 1e-5 });
  } finally {
    setBackend("cpu");
  }
  assert.throws(
    () => unetConfig({ inChannels: 1, outChannels: 1, condDim: 2, channels: [12], groups: 8 }),
    /12 channels cannot be split into 8 groups/,
  );
});
