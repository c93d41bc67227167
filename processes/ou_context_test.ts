// The OU context's evaluation against closed forms: a sampler that draws the exact conditional
// scores at the floor with 90 % coverage; one with twice the variance is caught.
import assert from "assert";
import "@mfm/backends/cpu";
import { setBackend, sliceAxis, type Tensor } from "@mfm/tensor";
import type { StochasticFlowMap } from "@mfm/flowmaps";
import { ouProcessContext } from "@mfm/processes";

const P = { theta: 1, mu: 0, sigma: 1.2, dim: 1 };

// x_τ = μ + (x_obs − μ)a + sd·√(1 − a²)·ε with a = e^{−θ|τ − t_obs|}, the lag read from the context
function exactSampler(varianceScale: number): StochasticFlowMap {
  const stationarySd = P.sigma / Math.sqrt(2 * P.theta);
  const map = (_s: Tensor, _u: Tensor, eps: Tensor, _t: Tensor, ctx: Tensor) => {
    const xo = sliceAxis(ctx, 1, 0, 1);
    const a = sliceAxis(ctx, 1, 2, 3).abs().mul(-P.theta).exp();
    const sd = a.mul(a).neg().add(1).sqrt().mul(stationarySd * Math.sqrt(varianceScale));
    return xo.sub(P.mu).mul(a).add(P.mu).add(eps.mul(sd));
  };
  return { velocity: map, map };
}

Deno.test("OU evaluation: exact draws sit at the MMD² floor with 90 % coverage; inflated variance is caught", () => {
  setBackend("cpu");
  const ctx = ouProcessContext(P);
  const exact = ctx.evaluate(exactSampler(1), { n: 1500, seed: 1 }).metrics;
  assert.ok(exact.ou_mmd_ratio < 3, `exact sampler: MMD² ${exact.ou_mmd_ratio}× floor`);
  assert.ok(Math.abs(exact.ou_cov90 - 90) < 2.5, `exact sampler covers ${exact.ou_cov90} %`);
  const wide = ctx.evaluate(exactSampler(2), { n: 1500, seed: 1 }).metrics;
  assert.ok(wide.ou_mmd_ratio > 10, `2× variance: MMD² only ${wide.ou_mmd_ratio}× floor`);
  assert.ok(wide.ou_cov90 < 80, `2× variance covers ${wide.ou_cov90} %`);
});
