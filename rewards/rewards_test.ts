import assert from "assert";
import "@mfm/backends";
import { assertAllClose, grad, key, log, normal, softmax, type Tensor, tensor } from "@mfm/tensor";
import { exportOnnx } from "@mfm/backends/onnx";
import {
  classifierMixtureReward,
  createReward,
  linearGaussianReward,
  listRewards,
  onnxReward,
  registerReward,
  scaleReward,
  sumRewards,
} from "@mfm/rewards";

Deno.test("linear-Gaussian reward and its gradient in closed form", () => {
  const r = linearGaussianReward({ a: [1.2, -0.8], y: -1, sigma: 0.2 });
  const x = tensor([[0.5, 1], [-1, 0]], { dtype: "float64" });
  // r = −(y − aᵀx)²/(2σ²): aᵀx = −0.2 and −1.2
  assertAllClose(r.reward(x), [-((-1 + 0.2) ** 2) / 0.08, -((-1 + 1.2) ** 2) / 0.08], {
    rtol: 1e-12,
  });
  const g = grad((y: Tensor) => r.reward(y).sum())(x);
  // ∇r = (y − aᵀx) a/σ²
  assertAllClose(g, [
    (-0.8 * 1.2) / 0.04,
    (-0.8 * -0.8) / 0.04,
    (0.2 * 1.2) / 0.04,
    (0.2 * -0.8) / 0.04,
  ], { rtol: 1e-12 });
  assert.throws(() => linearGaussianReward({ a: [1], y: 0, sigma: 0 }), /sigma 0/);
  assert.throws(() => r.reward(tensor([[1, 2, 3]])), /do not end in 2/);
});

Deno.test("classifier mixture reward is log Σ w_c p(c|x); multipliers and sums compose", () => {
  const logits = (x: Tensor) => x.matmul(tensor([[1, 0, -1], [0, 2, 1]], { dtype: "float64" }));
  const w = [0.5, 0, 1.5];
  const r = classifierMixtureReward(logits, w);
  const x = normal(key(0), [4, 2], { dtype: "float64" });
  const p = softmax(logits(x), -1);
  const want = log(p.mul(tensor([[0.25, 0, 0.75]], { dtype: "float64" })).sum(-1));
  assertAllClose(r.reward(x), want, { rtol: 1e-12 });
  assertAllClose(scaleReward(r, 2).reward(x), want.mul(2), { rtol: 1e-12 });
  assertAllClose(sumRewards([r, r]).reward(x), want.mul(2), { rtol: 1e-12 });
  assert.throws(() => classifierMixtureReward(logits, [0, 0, 0]), /not all zero/);
});

Deno.test("an ONNX-file reward is differentiable, and the registry builds rewards by name", async () => {
  const dir = await Deno.makeTempDir();
  const w = tensor([[0.3], [-0.7]]);
  await exportOnnx((x: Tensor) => x.matmul(w).tanh(), [normal(key(1), [8, 2])], `${dir}/r.onnx`);
  const r = await onnxReward(`${dir}/r.onnx`);
  const x = normal(key(2), [8, 2]);
  assertAllClose(r.reward(x), x.matmul(w).tanh().reshape([8]), { rtol: 1e-5 });
  const g = grad((y: Tensor) => r.reward(y).sum())(x);
  const t = x.matmul(w).tanh();
  assertAllClose(g, t.square().neg().add(1).matmul(w.transpose()), { rtol: 1e-4, atol: 1e-6 });
  const viaRegistry = await createReward("onnx", { path: `${dir}/r.onnx`, lambda: 2 });
  assertAllClose(viaRegistry.reward(x), r.reward(x).mul(2), { rtol: 1e-6 });
  assert.ok(listRewards().includes("linear_gaussian"));
  await assert.rejects(
    () => createReward("nope"),
    /unknown reward "nope": registered rewards are linear_gaussian, onnx/,
  );
  assert.throws(() => registerReward("onnx", () => r), /already registered/);
});
