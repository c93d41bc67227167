// MFM-GF and MFM-G against the closed-form ∇V of the shared GMM test vectors, with the exact
// posterior sampler (MFM-G with its score-function term, MATH-reward §11); DPS with the exact
// denoiser.
import assert from "assert";
import "@mfm/backends/cpu";
import { mixtureDraws } from "../experiments/gmm/draws.ts";
import { type GmmTestVector, gmmTestVectors } from "../experiments/gmm/vectors.ts";
import { key, type Tensor, tensor } from "@mfm/tensor";
import { linearInterpolant } from "@mfm/interpolants";
import { paperGmm } from "@mfm/datasets";
import { glassFlowMap } from "@mfm/flowmaps";
import { linearGaussianReward } from "@mfm/rewards";
import { dpsEstimator, mfmG, mfmGF, sdeRolloutDraws } from "@mfm/steering";

type Vector = GmmTestVector;
const VECTORS = gmmTestVectors({ interior: true });

const gmm = paperGmm();
const reward = linearGaussianReward({ a: [1.2, -0.8], y: -1, sigma: 0.2 });

const exactDraws = mixtureDraws(gmm, linearInterpolant);

function errorOf(est: ReturnType<typeof mfmGF>, v: Vector, seed: number): number {
  const t = tensor([v.t], { dtype: "float64" });
  const x = tensor([v.x], { dtype: "float64" });
  const got = est.estimate(est.noise(key(seed), 1, 2), t, x).correction.dataSync();
  return Math.hypot(got[0] - v["(g2/2)gradV"][0], got[1] - v["(g2/2)gradV"][1]);
}

for (const kind of ["GF", "G"] as const) {
  Deno.test(`MFM-${kind} with exact posterior draws converges to the analytic (g²/2)∇V as N grows`, () => {
    const make = (n: number) =>
      kind === "GF"
        ? mfmGF(exactDraws, reward, { n, interpolant: linearInterpolant })
        : mfmG(exactDraws, reward, { n, interpolant: linearInterpolant });
    for (const v of VECTORS) {
      const scale = 1 + Math.hypot(...v["(g2/2)gradV"]);
      const small = [1, 2, 3, 4, 5].reduce((a, s) => a + errorOf(make(16), v, s), 0) / 5;
      // the sharp reward (σ = 0.2) makes the weights heavy: GF needs more draws than G
      const bigN = kind === "GF" ? 160000 : 40000;
      const big = errorOf(make(bigN), v, 9);
      assert.ok(big < 0.03 * scale, `t=${v.t} x=${v.x}: N=${bigN} error ${big}`);
      assert.ok(big < small, `t=${v.t} x=${v.x}: error falls with N (${small} → ${big})`);
    }
  });
}

Deno.test("MFM-G and MFM-GF at t = 0: the correction's finite limit E_tilt[x₁] − E[x₁] of the test vectors", () => {
  // the pathwise ∇V̂ is 0·∞ at t = 0; both estimators must still give the vectors' limit
  const atZero = gmmTestVectors().filter((v) => v.t === 0);
  assert.ok(atZero.length > 0, "the shared vectors have t = 0 points");
  for (const v of atZero) {
    for (const est of [mfmG, mfmGF]) {
      const e = est(exactDraws, reward, { n: 40000, interpolant: linearInterpolant });
      const err = errorOf(e, v, 7);
      assert.ok(err < 0.1, `${e.name} at t = 0, x = ${v.x}: error ${err.toFixed(3)}`);
      const g = e.estimate(
        e.noise(key(8), 1, 2),
        tensor([0], { dtype: "float64" }),
        tensor([v.x], {
          dtype: "float64",
        }),
      );
      assert.deepEqual(Array.from(g.gradV.dataSync()).map(Math.abs), [0, 0], "∇V_0 = 0");
    }
  }
});

Deno.test("DPS with the exact denoiser matches the analytic (g²/2)∇r(D)", () => {
  const teacher = (x: Tensor, tau: Tensor) => gmm.drift(linearInterpolant, tau, x);
  const exact = glassFlowMap(teacher, { outer: linearInterpolant, inner: linearInterpolant }, 2);
  const dps = dpsEstimator(exact, reward, linearInterpolant);
  for (const v of VECTORS) {
    const got = dps.estimate(
      [],
      tensor([v.t], { dtype: "float64" }),
      tensor([v.x], { dtype: "float64" }),
    ).correction.dataSync();
    const want = v["(g2/2)grad r(D) [DPS]"];
    assert.ok(
      Math.hypot(got[0] - want[0], got[1] - want[1]) < 1e-6 * (1 + Math.hypot(...want)),
      `t=${v.t}: ${got} vs ${want}`,
    );
  }
});

Deno.test("SDE inner rollouts are a posterior sampler: MFM-GF on them estimates ∇V", () => {
  const drift = (x: Tensor, t: Tensor) => gmm.drift(linearInterpolant, t, x);
  const draws = sdeRolloutDraws(drift, linearInterpolant, 100);
  const v = VECTORS.find((p) => p.t === 0.5 && p.x[0] === 0.5)!;
  const gf = mfmGF(draws, reward, { n: 20000, interpolant: linearInterpolant });
  const got = gf.estimate(
    gf.noise(key(4), 1, 2),
    tensor([v.t], { dtype: "float64" }),
    tensor([v.x], { dtype: "float64" }),
  ).correction
    .dataSync();
  const want = v["(g2/2)gradV"];
  assert.ok(
    Math.hypot(got[0] - want[0], got[1] - want[1]) < 0.08 * (1 + Math.hypot(...want)),
    `${got} vs ${want}`,
  );
});

Deno.test("mixtureDraws: float32 inputs get float32 draws equal to the float64 ones", () => {
  const noise = exactDraws.noise(key(3), 6, 2);
  const t = tensor([0.1, 0.3, 0.5, 0.7, 0.8, 0.9], { dtype: "float64" });
  const x = tensor([[1, 2], [-3, -2], [0.5, 0], [2, 3], [-1, 1], [3, 3]], { dtype: "float64" });
  const d64 = exactDraws.draw(noise, t, x);
  const d32 = exactDraws.draw(noise, t.cast("float32"), x.cast("float32"));
  assert.equal(d64.x1.dtype, "float64");
  assert.equal(d32.x1.dtype, "float32");
  assert.equal(d32.logProb!.dtype, "float32");
  const a = d64.x1.dataSync(), b = d32.x1.dataSync();
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i] - b[i]) < 1e-5, `x1[${i}]: ${a[i]} vs ${b[i]}`);
  }
});
