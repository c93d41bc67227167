// The context gate of the MLP and UNet MFMs: a gated map is the ungated one fed t·x_t, so it
// ignores x_t at t = 0 and its x_t-Jacobian carries a factor t; the ungated map sees x_t itself.
import assert from "assert";
import "@mfm/backends/cpu";
import {
  assertAllClose,
  key,
  normal,
  setBackend,
  split,
  type Tensor,
  tensor,
  treeMap,
} from "@mfm/tensor";
import {
  initMfmMlp,
  initMfmUNet,
  mfmMlpConfig,
  mfmMlpVelocity,
  mfmUNetConfig,
  mfmUNetVelocity,
  type VelocityFn,
} from "@mfm/flowmaps";

setBackend("cpu");

const B = 3;
const times = (v: number[]) => tensor(v);

function checkGate(gated: VelocityFn, ungated: VelocityFn, dim: number) {
  const x = normal(key(1), [B, dim]);
  const xt = normal(key(2), [B, dim]);
  const xt2 = normal(key(3), [B, dim]);
  const [s, u] = [times([0.1, 0.2, 0.3]), times([0.6, 0.7, 0.9])];
  const t = times([0, 0.35, 1]);
  const run = (v: VelocityFn, c: Tensor) => Array.from(v(s, u, x, t, c).dataSync());
  // gated(t, x_t) = ungated(t, t·x_t)
  const scaled = xt.mul(t.reshape([B, 1]));
  assertAllClose(run(gated, xt), run(ungated, scaled), { rtol: 1e-5, atol: 1e-6 }, "gate");
  // at t = 0 (row 0) only the ungated map sees x_t
  const row0 = (a: number[]) => a.slice(0, dim);
  assertAllClose(row0(run(gated, xt)), row0(run(gated, xt2)), { atol: 1e-6 }, "gated, t = 0");
  const diff = row0(run(ungated, xt)).map((a, i) => Math.abs(a - row0(run(ungated, xt2))[i]));
  assert.ok(Math.max(...diff) > 1e-4, `ungated map ignores x_t at t = 0 (max diff ${diff})`);
}

Deno.test("MLP MFM: ungated by default; the gate feeds t·x_t", () => {
  const opts = { dim: 2, hidden: 16, depth: 2, fourier: 4 };
  assert.equal(mfmMlpConfig(opts).gateContext, false);
  const gated = mfmMlpConfig({ ...opts, gateContext: true });
  const ungated = mfmMlpConfig(opts);
  const p = initMfmMlp(key(0), ungated);
  checkGate(mfmMlpVelocity(gated, p), mfmMlpVelocity(ungated, p), 2);
});

Deno.test("UNet MFM: gated by default (old checkpoints); the gate feeds t·x_t", () => {
  const opts = { side: 4, channels: [4, 8], fourier: 4, embedDim: 8 };
  assert.equal(mfmUNetConfig(opts).gateContext, true);
  const gated = mfmUNetConfig(opts);
  const ungated = mfmUNetConfig({ ...opts, gateContext: false });
  // the UNet's output convolutions start at zero: perturb every leaf so the map depends on x_t
  const keys = split(key(4), 512);
  let i = 0;
  const p = treeMap(
    (w) => w.add(normal(keys[i++], w.shape, { std: 0.1 })),
    initMfmUNet(key(0), gated),
  );
  checkGate(mfmUNetVelocity(gated, p), mfmUNetVelocity(ungated, p), 16);
});
