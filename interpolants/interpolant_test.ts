import assert from "assert";
import "@mfm/backends/cpu";
import { assertAllClose, key, normal, type Tensor, tensor } from "@mfm/tensor";
import { jvp } from "@mfm/tensor";
import {
  denoiserFromDrift,
  diffusionSq,
  driftFromDenoiser,
  interpolant,
  INTERPOLANTS,
  linearInterpolant,
  reparametrize,
  scoreFromDenoiser,
  scoreFromDrift,
  trigInterpolant,
} from "@mfm/interpolants";

const T = tensor([0.05, 0.2, 0.5, 0.8, 0.95], { dtype: "float64" });

for (const [name, p] of Object.entries(INTERPOLANTS)) {
  Deno.test(`${name}: derivatives match jvp, SNR inverse inverts, boundary values`, () => {
    for (const field of ["alpha", "beta"] as const) {
      const d = field === "alpha" ? "dAlpha" : "dBeta";
      const { tangent } = jvp((t: Tensor) => p.coefficients(t)[field], [T], [T.mul(0).add(1)]);
      assertAllClose(tangent, p.coefficients(T)[d], { rtol: 1e-10, atol: 1e-12 }, `${name} ${d}`);
    }
    const c = p.coefficients(T);
    assertAllClose(
      p.snrInv(c.beta.div(c.alpha).square()),
      T,
      { rtol: 1e-9, atol: 1e-9 },
      `${name} snrInv`,
    );
    const ends = p.coefficients(tensor([0, 1], { dtype: "float64" }));
    assertAllClose(ends.alpha.dataSync()[1], 0, { atol: 1e-12 });
    assertAllClose(ends.beta.dataSync()[1], 1, { rtol: 1e-12 });
    if (name === "vp") {
      assert.ok(Math.abs(ends.beta.dataSync()[0] - 6.6e-3) < 1e-4, "VP β_0 ≈ 6.6e-3");
    } else assertAllClose(ends.beta.dataSync()[0], 0, { atol: 1e-12 });
  });
}

Deno.test("drift, denoiser and score conversions agree; linear diffusion is 2(1 − t)/t", () => {
  const x = normal(key(0), [5, 2], { dtype: "float64" });
  const D = normal(key(1), [5, 2], { dtype: "float64" });
  for (const p of Object.values(INTERPOLANTS)) {
    const c = p.coefficients(T);
    const b = driftFromDenoiser(c, x, D);
    assertAllClose(denoiserFromDrift(c, x, b), D, { rtol: 1e-10, atol: 1e-10 }, `${p.name} D ⇄ b`);
    assertAllClose(
      scoreFromDrift(c, x, b),
      scoreFromDenoiser(c, x, D),
      { rtol: 1e-9, atol: 1e-9 },
      `${p.name} score`,
    );
  }
  const t = T.dataSync();
  assertAllClose(
    diffusionSq(linearInterpolant.coefficients(T)),
    Array.from(t, (v) => (2 * (1 - v)) / v),
    { rtol: 1e-12 },
  );
  // linear: b = (D − x)/(1 − t)
  const c = linearInterpolant.coefficients(T);
  const b = driftFromDenoiser(c, x, D).dataSync();
  const xd = x.dataSync();
  const dd = D.dataSync();
  assertAllClose(b, Array.from(b, (_, i) => (dd[i] - xd[i]) / (1 - t[Math.floor(i / 2)])), {
    rtol: 1e-12,
  });
});

Deno.test("reparametrisation matches SNR and the scaled state", () => {
  const x = normal(key(2), [5, 2], { dtype: "float64" });
  const { t, x: y } = reparametrize(trigInterpolant, linearInterpolant, T, x);
  const cf = trigInterpolant.coefficients(T);
  const ct = linearInterpolant.coefficients(t);
  assertAllClose(ct.alpha.div(ct.beta), cf.alpha.div(cf.beta), { rtol: 1e-10 });
  // x̃/β̃ = x/β: both are x_1 + (α/β) x_0
  const lhs = x.div(cf.beta.reshape([5, 1]));
  assertAllClose(y.div(ct.beta.reshape([5, 1])), lhs, { rtol: 1e-10 });
  assert.throws(
    () => interpolant("cosine"),
    /unknown interpolant "cosine": expected one of linear, trig, vp/,
  );
});
