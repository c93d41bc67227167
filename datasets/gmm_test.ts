import assert from "assert";
import "@mfm/backends/cpu";
import { assertAllClose, key, normal, sliceAxis, softmax, split, tensor } from "@mfm/tensor";
import { linearInterpolant, reparametrize, trigInterpolant } from "@mfm/interpolants";
import { GaussianMixture, paperGmm, resampledTilt, tiltLinearGaussian } from "@mfm/datasets";
import { mmd2, modeWeights, slicedW2, slicedW2ToLaw } from "@mfm/metrics";

interface Vector {
  t: number;
  x: number[];
  pi_k: number[];
  m_k: number[][];
  "c_k (posterior var per comp, isotropic)": number[];
  "D=E[x1|x]": number[];
  "b=(D-x)/(1-t)": number[];
  "score=(tb-x)/(1-t)"?: number[];
}
const VECTORS = JSON.parse(
  // a copy of shared/spec/gmm_test_vectors.json (the spec's closed-form values)
  Deno.readTextFileSync(new URL("testdata/gmm_test_vectors.json", import.meta.url)),
) as { points: Vector[] };

Deno.test("posterior, denoiser, drift and score match the shared GMM test vectors", () => {
  const gmm = paperGmm();
  for (const v of VECTORS.points) {
    const t = tensor([v.t], { dtype: "float64" });
    const x = tensor([v.x], { dtype: "float64" });
    const post = gmm.posterior(linearInterpolant, t, x);
    const where = `t=${v.t} x=${v.x}`;
    assertAllClose(
      softmax(post.logWeights, -1),
      v.pi_k,
      { rtol: 1e-6, atol: 1e-8 },
      `${where} π_k`,
    );
    assertAllClose(post.means, v.m_k.flat(), { rtol: 1e-6, atol: 1e-8 }, `${where} m_k`);
    assertAllClose(
      post.variances,
      v["c_k (posterior var per comp, isotropic)"],
      { rtol: 1e-6 },
      `${where} c_k`,
    );
    assertAllClose(gmm.denoiser(linearInterpolant, t, x), v["D=E[x1|x]"], {
      rtol: 1e-6,
      atol: 1e-8,
    }, `${where} D`);
    if (v.t < 1) {
      assertAllClose(gmm.drift(linearInterpolant, t, x), v["b=(D-x)/(1-t)"], {
        rtol: 1e-6,
        atol: 1e-8,
      }, `${where} b`);
    }
    if (v["score=(tb-x)/(1-t)"] && v.t > 0) {
      assertAllClose(gmm.score(linearInterpolant, t, x), v["score=(tb-x)/(1-t)"], {
        rtol: 1e-6,
        atol: 1e-8,
      }, `${where} score`);
    }
  }
});

Deno.test("exact samples: mode weights, posterior draws average to the denoiser; metric floors", () => {
  const gmm = paperGmm();
  const [k1, k2, k3] = split(key(0), 3);
  const a = gmm.sample(k1, 4096);
  const b = gmm.sample(k2, 4096);
  const w = modeWeights(gmm.assign(a), 3);
  w.forEach((p) => assert.ok(Math.abs(p - 1 / 3) < 0.03, `mode weight ${p}`));
  // exact samples against the exact law: sliced W2 at its floor (≈ 0.07 for 4096 samples);
  // sample against sample is larger (quantiles between the modes are noisy)
  const law = { weights: gmm.weights, means: gmm.means, variances: gmm.variances };
  const floor = slicedW2ToLaw(a, law);
  assert.ok(floor < 0.2, `exact samples vs exact law: sliced W2 ${floor}`); // ≈ 0.06–0.17 by seed
  assert.ok(slicedW2(a, b) < 0.35, "exact vs exact samples");
  assert.ok(Math.abs(mmd2(sliceAxis(a, 0, 0, 1500), sliceAxis(b, 0, 0, 1500))) < 3e-3);
  // a wrong law (shifted by (1, 0)) is far: sliced W2 ≈ |v|/√2 in 2-D
  const shifted = a.add(tensor([[1, 0]]));
  const far = slicedW2ToLaw(shifted, law);
  assert.ok(Math.abs(far - Math.SQRT1_2) < 0.1, `a shift of 1 gives ≈ 0.71, got ${far}`);
  assert.ok(mmd2(sliceAxis(shifted, 0, 0, 1500), sliceAxis(b, 0, 0, 1500)) > 0.05);
  // posterior draws at one (t, x) average to the denoiser
  const n = 20000;
  const t = tensor(new Float64Array(n).fill(0.4));
  const x = tensor(Array.from({ length: n }, () => [-0.6, 0.3]), { dtype: "float64" });
  const draws = gmm.samplePosterior(k3, linearInterpolant, t, x);
  const mean = draws.mean(0);
  assertAllClose(
    mean,
    gmm.denoiser(linearInterpolant, sliceAxis(t, 0, 0, 1), sliceAxis(x, 0, 0, 1)).reshape([2]),
    { atol: 0.03 },
  );
});

Deno.test("mixture parameters are validated", () => {
  assert.throws(() => new GaussianMixture([0.5, 0.6], [[0], [1]], [1, 1]), /weights must sum to 1/);
  assert.throws(() => new GaussianMixture([1], [[0, 0]], [-1]), /variances\[0\] -1/);
  assert.throws(() => normal(key(0), [2]).reshape([3]), /cannot reshape/);
});

Deno.test("reparametrisation: the trig-path posterior equals the linear-path posterior at the moved state", () => {
  const gmm = paperGmm();
  const tau = tensor([0.2, 0.5, 0.8], { dtype: "float64" });
  const x = tensor([[-1, 0.5], [0.3, 2], [2.5, 2.4]], { dtype: "float64" });
  const { t, x: y } = reparametrize(trigInterpolant, linearInterpolant, tau, x);
  const a = gmm.posterior(trigInterpolant, tau, x);
  const b = gmm.posterior(linearInterpolant, t, y);
  assertAllClose(a.logWeights, b.logWeights, { rtol: 1e-9, atol: 1e-9 });
  assertAllClose(a.means, b.means, { rtol: 1e-9, atol: 1e-9 });
  assertAllClose(a.variances, b.variances, { rtol: 1e-9, atol: 1e-12 });
});

Deno.test("the tilted target of the paper's inverse problem matches the spec's closed form", () => {
  const target = tiltLinearGaussian(paperGmm(), [1.2, -0.8], -1, 0.2);
  assertAllClose(target.weights, [0.57157607, 0.36648336, 0.06194057], { rtol: 1e-6 });
  assertAllClose(target.means.flat(), [
    -2.88888889,
    -3.07407407,
    -0.55555556,
    0.37037037,
    1.77777778,
    3.81481481,
  ], { rtol: 1e-6 });
  assertAllClose(target.covariances[0].flat(), [0.16666667, 0.22222222, 0.22222222, 0.35185185], {
    rtol: 1e-6,
  });
  const s = target.sample(key(3), 8000);
  const w = modeWeights(target.assign(s), 3);
  w.forEach((p, i) => assert.ok(Math.abs(p - target.weights[i]) < 0.02, `mode ${i}: ${p}`));
  assert.ok(slicedW2ToLaw(s, target) < 0.1, "samples of the target match its law");
});

Deno.test("resampledTilt: importance resampling recovers the closed-form linear-Gaussian tilt", () => {
  const gmm = paperGmm();
  const target = tiltLinearGaussian(gmm, [1.2, -0.8], -1, 0.2);
  const a = tensor([[1.2], [-0.8]]);
  // r(x) = −(y − aᵀx)²/(2σ²)
  const reward = (x: ReturnType<typeof tensor>) =>
    x.matmul(a).reshape([-1]).add(1).square().mul(-1 / (2 * 0.04));
  const ref = resampledTilt(gmm, reward, key(11), 1 << 17);
  ref.weights.forEach((p, i) =>
    assert.ok(Math.abs(p - target.weights[i]) < 0.02, `mode ${i}: ${p} vs ${target.weights[i]}`)
  );
  assert.ok(ref.ess > 1000, `ESS ${ref.ess}`);
  const s = ref.sample(key(12), 4000);
  assert.ok(slicedW2ToLaw(s, target) < 0.12, "resampled draws match the exact tilted law");
  assert.throws(() => resampledTilt(gmm, () => tensor([1, 2]), key(0), 8), /gave 2 values for 8/);
});
