import assert from "assert";
import { erfNumber as erf, key, normalArray, split } from "@mfm/tensor";

const close = (a: number, b: number, tol: number) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b} (tol ${tol})`);
import { crps, spreadSkill } from "./forecast.ts";

// CRPS of N(μ, σ²) at y in closed form: σ[z(2Φ(z) − 1) + 2φ(z) − 1/√π]
function gaussianCrps(mu: number, sigma: number, y: number): number {
  const z = (y - mu) / sigma;
  const phi = Math.exp(-z * z / 2) / Math.sqrt(2 * Math.PI);
  const cdf = 0.5 * (1 + erf(z / Math.SQRT2));
  return sigma * (z * (2 * cdf - 1) + 2 * phi - 1 / Math.sqrt(Math.PI));
}

Deno.test("crps: brute-force pair sums and the absolute error of a point forecast", () => {
  const ens = [0.3, -1.2, 2.5, 0.7, 0.1];
  const y = 0.4;
  let skill = 0;
  let pairs = 0;
  for (const a of ens) {
    skill += Math.abs(a - y);
    for (const b of ens) pairs += Math.abs(a - b);
  }
  const m = ens.length;
  close(crps({ ensemble: ens, truth: [y] }), skill / m - pairs / (2 * m * (m - 1)), 1e-12);
  close(crps({ ensemble: [1.5, 1.5, 1.5], truth: [0.25] }), 1.25, 1e-12);
  // two columns average
  const two = crps({ ensemble: [0, 10, 1, 11], truth: [0, 10] });
  close(
    two,
    (crps({ ensemble: [0, 1], truth: [0] }) + crps({ ensemble: [10, 11], truth: [10] })) / 2,
    1e-12,
  );
});

Deno.test("crps: a large Gaussian ensemble matches the closed form", () => {
  const g = normalArray(key(3), 20000);
  for (const y of [0, 0.8, -2.5]) {
    const ens = Array.from(g, (v) => 0.5 + 1.3 * v);
    close(crps({ ensemble: ens, truth: [y] }), gaussianCrps(0.5, 1.3, y), 0.02);
  }
});

Deno.test("spreadSkill: ≈ 1 when calibrated, < 1 when over-confident", () => {
  const cases = (scale: number) => {
    const ks = split(key(7), 400);
    return ks.map((k) => {
      const [ka, kb] = split(k);
      const mu = normalArray(ka, 1)[0];
      const truth = [mu + normalArray(kb, 1)[0]];
      const ensemble = Array.from(normalArray(k, 8), (v) => mu + scale * v);
      return { ensemble, truth };
    });
  };
  const calibrated = spreadSkill(cases(1));
  assert.ok(Math.abs(calibrated - 1) < 0.1, `calibrated spread-skill ${calibrated}`);
  assert.ok(spreadSkill(cases(0.5)) < 0.65);
  assert.throws(() => spreadSkill([]), /no cases/);
  assert.throws(() => crps({ ensemble: [1, 2, 3], truth: [1, 2] }), /≥ 2 members/);
});
