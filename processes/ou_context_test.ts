// The OU context's evaluation against closed forms: a sampler that draws the exact conditional
// scores at the floor with 90 % coverage; one with twice the variance is caught.
import assert from "assert";
import "@mfm/backends/cpu";
import { assertAllClose, key, setBackend, sliceAxis, type Tensor } from "@mfm/tensor";
import { type ContextModel, OrnsteinUhlenbeck, ouProcessContext } from "@mfm/processes";

const P = { theta: 1, mu: 0, sigma: 1.2, dim: 1 };

// x_τ = μ + (x_obs − μ)a + sd·√(1 − a²)·ε with a = e^{−θ|τ − t_obs|}, the lag read from the context
// (encoded: the lag-scaled increment (x_τ − x_obs)/√(|lag| + 0.01) that ouProblem trains on)
function exactSampler(varianceScale: number, encoded = false): ContextModel {
  const stationarySd = P.sigma / Math.sqrt(2 * P.theta);
  const sample = (eps: Tensor, _tau: Tensor, ctx: Tensor) => {
    const xo = sliceAxis(ctx, 1, 0, 1);
    const a = sliceAxis(ctx, 1, 2, 3).abs().mul(-P.theta).exp();
    const sd = a.mul(a).neg().add(1).sqrt().mul(stationarySd * Math.sqrt(varianceScale));
    const x = xo.sub(P.mu).mul(a).add(P.mu).add(eps.mul(sd));
    return encoded ? x.sub(xo).div(sliceAxis(ctx, 1, 2, 3).abs().add(0.01).sqrt()) : x;
  };
  return {
    steerable: false,
    sample,
    conditioned: () => {
      throw new Error("not steerable");
    },
  };
}

Deno.test("OU evaluation: exact draws sit at the MMD² floor with 90 % coverage; inflated variance is caught", () => {
  setBackend("cpu");
  const ctx = ouProcessContext(P, { increments: false });
  const exact = ctx.evaluate(exactSampler(1), { n: 1500, seed: 1 }).metrics;
  assert.ok(exact.ou_mmd_ratio < 3, `exact sampler: MMD² ${exact.ou_mmd_ratio}× floor`);
  assert.ok(Math.abs(exact.ou_cov90 - 90) < 2.5, `exact sampler covers ${exact.ou_cov90} %`);
  const wide = ctx.evaluate(exactSampler(2), { n: 1500, seed: 1 }).metrics;
  assert.ok(wide.ou_mmd_ratio > 10, `2× variance: MMD² only ${wide.ou_mmd_ratio}× floor`);
  assert.ok(wide.ou_cov90 < 80, `2× variance covers ${wide.ou_cov90} %`);
});

Deno.test("OU increments: the encoded target decodes to the exact conditional", () => {
  setBackend("cpu");
  const ctx = ouProcessContext(P, { increments: true, obsScale: 1.5 });
  const m = ctx.evaluate(exactSampler(1, true), { n: 1500, seed: 1 }).metrics;
  assert.ok(m.ou_mmd_ratio < 3, `exact increments: MMD² ${m.ou_mmd_ratio}× floor`);
  assert.ok(Math.abs(m.ou_cov90 - 90) < 2.5, `exact increments cover ${m.ou_cov90} %`);
  // and the training pairs are encoded that way: decode(target) is the simulator's x_τ
  const b = ctx.problem.sample(key(4), 64);
  const truth = new OrnsteinUhlenbeck(P).samplePairs(key(4), 64, 2, 1.5).xTau;
  assertAllClose(ctx.problem.decode!(b.target, b.context).dataSync(), truth.dataSync(), {
    rtol: 1e-5,
    atol: 1e-5,
  });
});
