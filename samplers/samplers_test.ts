import assert from "assert";
import "@mfm/backends/cpu";
import { full, jit, key, split, type Tensor, tensor } from "@mfm/tensor";
import { diffusionSq, linearInterpolant } from "@mfm/interpolants";
import { paperGmm } from "@mfm/datasets";
import { mmd2 } from "@mfm/metrics";
import { glassFlowMap } from "@mfm/flowmaps";
import {
  gammaSample,
  kStepSample,
  mfmPosteriorSampler,
  odeEuler,
  odeHeun,
  sdeEulerMaruyama,
} from "@mfm/samplers";

Deno.test("Euler is first order and Heun second order on dx/dt = x·cos t", () => {
  const f = (x: Tensor, t: Tensor) => x.mul(t.cos().reshape([-1, 1]));
  const x0 = tensor([[1.5]], { dtype: "float64" });
  const exact = 1.5 * Math.exp(Math.sin(1));
  const err = (solve: typeof odeEuler, steps: number) =>
    Math.abs(solve(f, x0, { steps }).item() - exact);
  const eulerRatio = err(odeEuler, 50) / err(odeEuler, 100);
  const heunRatio = err(odeHeun, 50) / err(odeHeun, 100);
  assert.ok(Math.abs(eulerRatio - 2) < 0.15, `Euler error ratio ${eulerRatio}`);
  assert.ok(Math.abs(heunRatio - 4) < 0.3, `Heun error ratio ${heunRatio}`);
  assert.ok(err(odeHeun, 100) < 1e-4);
});

Deno.test("Euler–Maruyama reproduces the Ornstein–Uhlenbeck law", () => {
  const n = 20000;
  const x0 = full([n, 1], 2, "float64");
  const x = sdeEulerMaruyama((y) => y.neg(), (t) => t.mul(0).add(Math.SQRT2), x0, key(1), {
    steps: 200,
  });
  const d = Array.from(x.dataSync());
  const mean = d.reduce((a, b) => a + b, 0) / n;
  const variance = d.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  assert.ok(Math.abs(mean - 2 * Math.exp(-1)) < 0.03, `mean ${mean}`);
  assert.ok(Math.abs(variance - (1 - Math.exp(-2))) < 0.04, `variance ${variance}`);
});

Deno.test("K-step refinement with exact posteriors and γ-sampling with the exact marginal map land on the data law", () => {
  const gmm = paperGmm();
  const n = 1500;
  const [k1, k2, k3, k4] = split(key(2), 4);
  const data = gmm.sample(k1, n);
  const floorRef = gmm.sample(k4, n);
  const floor = Math.abs(mmd2(floorRef, data));
  const exact = (k: ReturnType<typeof key>, t: Tensor, xt: Tensor) =>
    gmm.samplePosterior(k, linearInterpolant, t, xt);
  for (const K of [1, 2, 4]) {
    const got = mmd2(kStepSample(exact, linearInterpolant, split(k2, 4)[K - 1], [n, 2], K), data);
    assert.ok(got < floor + 3e-3, `K=${K}: MMD² ${got} (floor ${floor})`);
  }
  const teacher = (x: Tensor, tau: Tensor) => gmm.drift(linearInterpolant, tau, x);
  const marginal = glassFlowMap(
    teacher,
    { outer: linearInterpolant, inner: linearInterpolant },
    100,
  );
  const run = jit((_: Tensor) => gammaSample(marginal, linearInterpolant, k3, [n, 2], 3));
  const got = mmd2(run(tensor(0)), data);
  assert.ok(got < floor + 3e-3, `γ-sampling: MMD² ${got} (floor ${floor})`);
  // the MFM sampler wraps X_{0,1}; chained inner steps agree for the exact map
  const one = mfmPosteriorSampler(marginal, 1);
  assert.equal(one(k3, full([4], 0.5), full([4, 2], 0.1)).shape.join(), "4,2");
});

Deno.test("the posterior-preserving SDE (§1.5) from x_t lands on p(x_1 | x_t)", () => {
  const gmm = paperGmm();
  const n = 1500;
  const t0 = 0.3;
  const x = [-1, -0.5];
  const xt = tensor(Array.from({ length: n }, () => x), { dtype: "float64" });
  const drift = (y: Tensor, t: Tensor) => {
    const c = linearInterpolant.coefficients(t);
    const g2 = diffusionSq(c).reshape([-1, 1]);
    return gmm.drift(linearInterpolant, t, y).add(
      gmm.score(linearInterpolant, t, y).mul(g2).mul(0.5),
    );
  };
  const g = (t: Tensor) => diffusionSq(linearInterpolant.coefficients(t)).sqrt();
  const run = jit((y: Tensor) => sdeEulerMaruyama(drift, g, y, key(8), { t0, t1: 1, steps: 400 }));
  const ends = run(xt);
  const t = full([n], t0, "float64");
  const exact = gmm.samplePosterior(key(9), linearInterpolant, t, xt);
  const exact2 = gmm.samplePosterior(key(10), linearInterpolant, t, xt);
  const floor = Math.abs(mmd2(exact2, exact));
  const got = mmd2(ends, exact);
  assert.ok(got < floor + 3e-3, `SDE endpoint MMD² ${got} (floor ${floor})`);
});
