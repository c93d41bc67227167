import assert from "assert";
import "@mfm/backends/cpu";
import {
  assertAllClose,
  atan,
  attention,
  erf,
  gelu,
  groupNorm,
  key,
  layerNorm,
  logsumexp,
  matmul,
  mse,
  normal,
  relu,
  silu,
  sliceAxis,
  softmax,
  softplus,
  split,
  tensor,
} from "@mfm/tensor";

const f64 = (v: number[] | number[][]) => tensor(v, { dtype: "float64" });

Deno.test("erf matches reference values to 1e-14", () => {
  const ref: [number, number][] = [
    [0.5, 0.5204998778130465],
    [1, 0.8427007929497149],
    [2, 0.9953222650189527],
    [3.5, 0.9999992569016276],
    [-1, -0.8427007929497149],
  ];
  for (const [x, want] of ref) assertAllClose(erf(f64([x])), [want], { rtol: 1e-14 });
});

Deno.test("activations against closed forms", () => {
  const x = f64([-100, -1, 0, 1, 100]);
  assertAllClose(relu(x), [0, 0, 0, 1, 100]);
  assertAllClose(softplus(x), [
    Math.exp(-100),
    Math.log1p(Math.exp(-1)),
    Math.LN2,
    1 + Math.log1p(Math.exp(-1)),
    100,
  ], {
    rtol: 1e-14,
  });
  assertAllClose(silu(x), [
    -100 / (1 + Math.exp(100)),
    -1 / (1 + Math.E),
    0,
    1 / (1 + Math.exp(-1)),
    100,
  ], { rtol: 1e-12 });
  // Φ(1) = (1 + erf(1/√2))/2 with erf(1/√2) = 0.6826894921370859
  assertAllClose(gelu(f64([1])), [0.5 * (1 + 0.6826894921370859)], { rtol: 1e-12 });
  const t = gelu(f64([1]), "tanh").item();
  assert.ok(Math.abs(t - 0.8411919906082768) < 1e-12, `tanh gelu ${t}`);
});

Deno.test("softmax and logsumexp are stable for large and −∞ inputs", () => {
  const x = f64([[1000, 1001, 1002], [-Infinity, -Infinity, -Infinity]]);
  const e = [Math.exp(-2), Math.exp(-1), 1];
  const z = e.reduce((a, b) => a + b);
  assertAllClose(softmax(sliceAxis(x, 0, 0, 1)), e.map((v) => v / z), { rtol: 1e-14 });
  const lse = logsumexp(x, -1).dataSync();
  assertAllClose(lse[0], 1002 + Math.log(z), { rtol: 1e-15 });
  assert.equal(lse[1], -Infinity);
});

Deno.test("layer norm and group norm normalise, then scale and shift", () => {
  const [a, b] = split(key(0));
  const x = normal(a, [4, 6], { dtype: "float64" }).mul(3).add(2);
  const y = layerNorm(x, { eps: 0 });
  assertAllClose(y.mean(-1), [0, 0, 0, 0], { atol: 1e-12 });
  assertAllClose(y.square().mean(-1), [1, 1, 1, 1], { rtol: 1e-12 });
  const w = f64([1, 2, 3, 4, 5, 6]);
  assertAllClose(layerNorm(x, { eps: 0, weight: w, bias: w }), y.mul(w).add(w), { rtol: 1e-12 });
  const img = normal(b, [2, 4, 3, 3], { dtype: "float64" });
  const g = groupNorm(img, 2, { eps: 0 }).reshape([2, 2, 18]);
  assertAllClose(g.mean(-1), [0, 0, 0, 0], { atol: 1e-12 });
  assertAllClose(g.square().mean(-1), [1, 1, 1, 1], { rtol: 1e-12 });
  assert.throws(() => groupNorm(img, 3), /4 channels cannot be split into 3 groups/);
});

Deno.test("attention equals softmax(q kᵀ/√d) v, and masks", () => {
  const [a, b, c] = split(key(1), 3);
  const q = normal(a, [2, 3, 4], { dtype: "float64" });
  const k = normal(b, [2, 5, 4], { dtype: "float64" });
  const v = normal(c, [2, 5, 2], { dtype: "float64" });
  const want = matmul(softmax(matmul(q, k.transpose([0, 2, 1])).div(2), -1), v);
  assertAllClose(attention(q, k, v), want, { rtol: 1e-12 });
  const mask = tensor([[1, 1, 0, 0, 0]], { dtype: "bool" });
  const masked = attention(q, k, v, { mask });
  const want2 = matmul(
    softmax(matmul(q, sliceAxis(k, 1, 0, 2).transpose([0, 2, 1])).div(2), -1),
    sliceAxis(v, 1, 0, 2),
  );
  assertAllClose(masked, want2, { rtol: 1e-12 });
  assert.equal(mse(f64([1, 2]), f64([2, 4])).item(), 2.5);
});

Deno.test("atan matches Math.atan across its range", () => {
  const xs = [-50, -3, -1, -0.3, 0, 0.1, 0.7, 1, 2.5, 10, 1e4];
  assertAllClose(atan(f64(xs)), xs.map(Math.atan), { rtol: 1e-11, atol: 1e-12 });
});
