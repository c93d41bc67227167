import assert from "assert";
import "@mfm/backends/cpu";
import { assertAllClose, grad, key, normal, type Tensor, tensor } from "@mfm/tensor";
import {
  fourierFeatures,
  initFourierFeatures,
  initLinear,
  initMlp,
  linear,
  mlp,
  sinusoidalEmbedding,
} from "@mfm/nn";

Deno.test("linear and MLP shapes, initialisers and errors", () => {
  const p = initLinear(key(0), 3, 5);
  assert.deepEqual(p.w.shape, [3, 5]);
  const bound = Math.sqrt(6 / 8);
  assert.ok(p.w.abs().max().item() <= bound, "Glorot bound");
  assert.deepEqual(linear(p, normal(key(1), [4, 3])).shape, [4, 5]);
  assert.throws(() => linear(p, normal(key(1), [4, 2])), /input \[4,2\] does not end in 3/);
  const m = initMlp(key(2), [2, 16, 16, 1], { zeroLast: true });
  assert.equal(m.layers.length, 3);
  assert.equal(mlp(m, normal(key(3), [7, 2])).abs().max().item(), 0);
  assert.throws(() => initMlp(key(0), [2]), /needs at least \[in, out\]/);
  assert.throws(
    () => initLinear(key(0), 2, 3, { init: "orthogonal" }),
    /unknown initializer "orthogonal": expected one of glorot_uniform/,
  );
  assert.throws(
    () => mlp(m, normal(key(3), [7, 2]), "swish" as "silu"),
    /unknown activation "swish"/,
  );
});

Deno.test("MLP gradients match finite differences (float64)", () => {
  const m = initMlp(key(4), [2, 8, 1]);
  const m64 = {
    layers: m.layers.map((l) => ({ w: l.w.cast("float64"), b: l.b.cast("float64").add(0.1) })),
  };
  const x = normal(key(5), [3, 2], { dtype: "float64" });
  const loss = (xs: Tensor) => mlp(m64, xs, "gelu").square().sum();
  const g = grad(loss)(x) as Tensor;
  const e = tensor([[0, 0], [1, 0], [0, 0]], { dtype: "float64" });
  const num = (loss(x.add(e.mul(1e-6))).item() - loss(x.sub(e.mul(1e-6))).item()) / 2e-6;
  assertAllClose(g.dataSync()[2], num, { rtol: 1e-6 });
});

Deno.test("sinusoidal and Fourier embeddings against closed forms", () => {
  const t = tensor([0, 0.5], { dtype: "float64" });
  const e = sinusoidalEmbedding(t, 4, { scale: 1, maxPeriod: 100 });
  // frequencies 100^(−k/2), k = 0, 1 → 1, 0.1
  assertAllClose(e, [1, 1, 0, 0, Math.cos(0.5), Math.cos(0.05), Math.sin(0.5), Math.sin(0.05)], {
    rtol: 1e-12,
  });
  assert.throws(() => sinusoidalEmbedding(t, 3), /even integer/);
  const ff = initFourierFeatures(key(0), 1, 3, 2);
  const z = fourierFeatures(ff, t);
  assert.deepEqual(z.shape, [2, 6]);
  const f = ff.freqs.dataSync();
  assertAllClose(z.dataSync()[6 + 3], Math.sin(2 * Math.PI * 0.5 * f[0]), { rtol: 1e-6 });
});
