// The OU context: one-step samples of an extended MFM match the exact Gaussian conditional
// p(x_τ | x_obs at t_obs) — MMD² and calibration (standardised draws ~ N(0, 1), 90 % coverage).
import assert from "assert";
import "@mfm/backends";
import { full, key, normal, setBackend, tensor } from "@mfm/tensor";
import { mmd2 } from "@mfm/metrics";
import { OrnsteinUhlenbeck, ouContext, ouProblem, trainContextMfm } from "@mfm/processes";

Deno.test("OU conditionals are Gaussian in closed form and the simulator follows them", () => {
  const ou = new OrnsteinUhlenbeck({ theta: 1.5, mu: 0.5, sigma: 1, dim: 1 });
  const { mean, variance } = ou.conditional([2], 0.4);
  assert.ok(Math.abs(mean[0] - (0.5 + 1.5 * Math.exp(-0.6))) < 1e-12);
  assert.ok(Math.abs(variance - (1 / 3) * (1 - Math.exp(-1.2))) < 1e-12);
  assert.deepEqual(ou.conditional([2], -0.4), ou.conditional([2], 0.4), "reversible");
  const b = ou.samplePairs(key(0), 20000);
  const x = Array.from(b.xObs.dataSync());
  const m = x.reduce((a, v) => a + v, 0) / x.length;
  const v = x.reduce((a, y) => a + (y - m) ** 2, 0) / x.length;
  assert.ok(
    Math.abs(m - 0.5) < 0.02 && Math.abs(v - 1 / 3) < 0.02,
    `stationary moments ${m}, ${v}`,
  );
  // obsScale widens x_obs only: x_τ − μ − (x_obs − μ)a keeps the conditional variance
  const w = ou.samplePairs(key(1), 20000, 2, 2);
  const [xo, xt, to, ta] = [w.xObs, w.xTau, w.tObs, w.tau].map((t) => Array.from(t.dataSync()));
  const wv = xo.reduce((a, y) => a + (y - 0.5) ** 2, 0) / xo.length;
  assert.ok(Math.abs(wv - 4 / 3) < 0.06, `x_obs variance with obsScale 2: ${wv}`);
  const r = xo.map((y, i) => {
    const { mean, variance } = ou.conditional([y], ta[i] - to[i]);
    return (xt[i] - mean[0]) / Math.sqrt(variance);
  });
  const rv = r.reduce((a, y) => a + y * y, 0) / r.length;
  assert.ok(Math.abs(rv - 1) < 0.05, `standardised residual variance ${rv}`);
  assert.throws(() => new OrnsteinUhlenbeck({ theta: 0, mu: 0, sigma: 1, dim: 1 }), /theta 0/);
});

Deno.test("an extended MFM samples the exact OU conditional in one step (MMD², calibration)", () => {
  setBackend("onnx");
  try {
    const ou = new OrnsteinUhlenbeck({ theta: 1, mu: 0, sigma: 1.2, dim: 1 });
    const { model } = trainContextMfm(ouProblem(ou), { steps: 3000, batch: 512, seed: 1 });
    const n = 1500;
    let worst = 0;
    for (const [xo, to, tau] of [[1.2, 0.3, 0.5], [-0.8, 1.0, 1.6], [0.4, 1.5, 0.2]]) {
      const { mean, variance } = ou.conditional([xo], tau - to);
      const context = ouContext(
        tensor(Array.from({ length: n }, () => [xo])),
        full([n], to),
        full([n], tau),
      );
      const draws = model.sample(normal(key(2), [n, 1]), full([n], tau), context);
      const exact = normal(key(3), [n, 1]).mul(Math.sqrt(variance)).add(mean[0]);
      const m = mmd2(draws, exact);
      const z = Array.from(draws.dataSync(), (v) => (v - mean[0]) / Math.sqrt(variance));
      const zm = z.reduce((a, v) => a + v, 0) / n;
      const zv = z.reduce((a, v) => a + (v - zm) ** 2, 0) / n;
      const cover = z.filter((v) => Math.abs(v) < 1.645).length / n;
      worst = Math.max(worst, m);
      assert.ok(
        Math.abs(zm) < 0.25 && Math.abs(zv - 1) < 0.35,
        `x_obs=${xo} t_obs=${to} τ=${tau}: standardised mean ${zm}, variance ${zv}`,
      );
      assert.ok(Math.abs(cover - 0.9) < 0.08, `90 % interval covers ${cover}`);
    }
    assert.ok(worst < 0.015, `MMD² to the exact conditional ${worst}`);
  } finally {
    setBackend("cpu");
  }
});
