// GLASS against the closed-form GMM posterior, and extraction from the exact conditional map.
import assert from "assert";
import "@mfm/backends/cpu";
import { assertAllClose, full, jit, key, normal, split, type Tensor, tensor } from "@mfm/tensor";
import { linearInterpolant, trigInterpolant } from "@mfm/interpolants";
import { paperGmm } from "@mfm/datasets";
import { mmd2 } from "@mfm/metrics";
import { glassDrift, glassFlowMap, mfmDenoiser, mfmDrift } from "@mfm/flowmaps";

const gmm = paperGmm();
const lin = { outer: linearInterpolant, inner: linearInterpolant };
const teacher = (x: Tensor, tau: Tensor) => gmm.drift(linearInterpolant, tau, x);

Deno.test("GLASS drift integrated from noise lands on the exact GMM posterior (MMD² at the sampling floor)", () => {
  const n = 1500;
  const [kc] = split(key(3));
  for (const [i, t0] of [0.2, 0.5, 0.8].entries()) {
    const [ke, k1, k2] = split(split(kc, 3)[i], 3);
    const t = full([n], t0, "float64");
    const xt = tensor(Array.from({ length: n }, () => [-0.6, 0.3]), { dtype: "float64" });
    const sampler = glassFlowMap(teacher, lin, 200);
    const run = jit((eps: Tensor, tt: Tensor, x: Tensor) =>
      sampler.map(full([n], 0, "float64"), full([n], 1, "float64"), eps, tt, x)
    );
    const draws = run(normal(ke, [n, 2], { dtype: "float64" }), t, xt);
    const exact = gmm.samplePosterior(k1, linearInterpolant, t, xt);
    const exact2 = gmm.samplePosterior(k2, linearInterpolant, t, xt);
    const floor = Math.abs(mmd2(exact, exact2));
    const got = mmd2(draws, exact);
    const prior = mmd2(gmm.sample(k2, n, "float64"), exact);
    assert.ok(got < floor + 2e-3, `t=${t0}: MMD² ${got} (floor ${floor}, prior ${prior})`);
    assert.ok(prior > 10 * (got + 1e-3), `t=${t0}: the test can tell the prior from the posterior`);
  }
});

Deno.test("GLASS at context time 0 is the teacher's drift; the linear closed form equals the general one", () => {
  const [k1, k2] = split(key(4));
  const x = normal(k1, [6, 2], { dtype: "float64" });
  const xt = normal(k2, [6, 2], { dtype: "float64" });
  const s = tensor([0.1, 0.3, 0.5, 0.7, 0.9, 0.95], { dtype: "float64" });
  const zero = s.mul(0);
  assertAllClose(glassDrift(x, s, zero, xt, teacher, lin), teacher(x, s), {
    rtol: 1e-9,
    atol: 1e-10,
  });
  // §6.2: Δ = t²(1−s)² + (1−t)²s², P = (1−t)²/Δ, t* = 1/(1 + (1−s)√P), x* = t*[(1−s)²t/Δ x_t + sP I_s]
  const t = tensor([0.2, 0.4, 0.5, 0.6, 0.3, 0.8], { dtype: "float64" });
  const sv = s.dataSync();
  const tv = t.dataSync();
  const rows = Array.from({ length: 6 }, (_, i) => {
    const [si, ti] = [sv[i], tv[i]];
    const delta = ti ** 2 * (1 - si) ** 2 + (1 - ti) ** 2 * si ** 2;
    const P = (1 - ti) ** 2 / delta;
    const tStar = 1 / (1 + (1 - si) * Math.sqrt(P));
    return { si, ti, delta, P, tStar };
  });
  const tStar = tensor(rows.map((r) => r.tStar), { dtype: "float64" });
  const xStar = tensor(
    rows.map((r, i) =>
      [0, 1].map((j) =>
        r.tStar *
        (((1 - r.si) ** 2 * r.ti) / r.delta * xt.dataSync()[2 * i + j] +
          r.si * r.P * x.dataSync()[2 * i + j])
      )
    ),
    { dtype: "float64" },
  );
  const bT = teacher(xStar, tStar);
  const dStar = xStar.add(bT.mul(tStar.neg().add(1).reshape([6, 1])));
  const closed = dStar.sub(x).div(s.neg().add(1).reshape([6, 1]));
  assertAllClose(glassDrift(x, s, t, xt, teacher, lin), closed, { rtol: 1e-9, atol: 1e-10 });
  // mixed schedules run (trig inner, linear outer) and agree with the teacher at t = 0
  const mixed = { outer: linearInterpolant, inner: trigInterpolant };
  assert.ok(glassDrift(x, s, t, xt, teacher, mixed).dataSync().every(Number.isFinite));
});

Deno.test("drift and denoiser extracted from the exact conditional map equal the analytic ones", () => {
  const exact = glassFlowMap(teacher, lin, 4);
  const [k1, k2] = split(key(5));
  const x = normal(k1, [5, 2], { dtype: "float64" });
  const s = tensor([0.1, 0.25, 0.5, 0.75, 0.9], { dtype: "float64" });
  assertAllClose(mfmDrift(exact, s, x), gmm.drift(linearInterpolant, s, x), {
    rtol: 1e-9,
    atol: 1e-10,
  }, "(36)");
  const xbar = normal(k2, [5, 2], { dtype: "float64" });
  assertAllClose(
    mfmDenoiser(exact, linearInterpolant, s, x, xbar),
    gmm.denoiser(linearInterpolant, s, x),
    { rtol: 1e-9, atol: 1e-10 },
    "(51)",
  );
});
