import assert from "assert";
import { key } from "@mfm/tensor";
import { AdvectionDiffusion, weatherScenarios } from "./advection.ts";

const close = (a: number, b: number, tol: number, what = "") =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`);

Deno.test("AdvectionDiffusion: the basis is orthonormal and coefficients round-trip", () => {
  const w = new AdvectionDiffusion();
  const { coefDim: D, size: S, basis } = w;
  assert.equal(D, 49);
  for (let a = 0; a < D; a++) {
    for (let b = 0; b < D; b++) {
      let dot = 0;
      for (let p = 0; p < S; p++) dot += basis[a * S + p] * basis[b * S + p];
      close(dot, a === b ? 1 : 0, 1e-12, `<φ${a}, φ${b}>`);
    }
  }
  const c = w.stationary(key(0), 3);
  const back = w.coefficients(w.fields(c));
  c.forEach((v, i) => close(back[i], v, 1e-12, "round trip"));
});

Deno.test("AdvectionDiffusion: the mean moves a field one cell with the wind and damps it", () => {
  // no diffusion: every mode decays at λ, so a whole-cell shift is exact on the grid
  const w = new AdvectionDiffusion({ diffusivity: 0, damping: 0.2 });
  const n = w.grid;
  const c0 = w.stationary(key(1), 1);
  const f0 = w.fields(c0);
  for (const [wind, dq, dr] of [[[2, 0], 1, 0], [[0, -2], 0, -1], [[2, 2], 1, 1]] as const) {
    const f1 = w.fields(w.advance(null, c0, Float64Array.from(wind), [0.5]));
    for (let r = 0; r < n; r++) {
      for (let q = 0; q < n; q++) {
        const src = ((r - dr + n) % n) * n + ((q - dq + n) % n);
        close(f1[r * n + q], Math.exp(-0.1) * f0[src], 1e-9, `wind ${wind} (${r}, ${q})`);
      }
    }
  }
});

Deno.test("AdvectionDiffusion: stationary variance 1 and the exact transition covariance", () => {
  const w = new AdvectionDiffusion();
  const N = 6000;
  const c0 = w.stationary(key(2), N);
  const wind = w.winds(key(3), N);
  const lag = 0.7;
  const mean = w.fields(w.advance(null, c0, wind, new Float64Array(N).fill(lag)));
  const draw = w.fields(w.advance(key(4), c0, wind, new Float64Array(N).fill(lag)));
  const S = w.size;
  // pointwise variance of the draws: stationary, so 1
  let v = 0;
  for (let i = 0; i < N * S; i++) v += draw[i] ** 2;
  close(v / (N * S), 1, 0.03, "stationary variance");
  // covariance of draw − mean against the closed form at a few pairs of points
  const cov = w.fieldCovariance(lag);
  for (const [p, q] of [[0, 0], [0, 1], [5, 17], [40, 41], [70, 143]]) {
    let acc = 0;
    for (let i = 0; i < N; i++) {
      acc += (draw[i * S + p] - mean[i * S + p]) * (draw[i * S + q] - mean[i * S + q]);
    }
    close(acc / N, cov[p * S + q], 0.03, `cov(${p}, ${q})`);
  }
});

Deno.test("weatherScenarios: withheld first fields, lags in range, bad input named", () => {
  const w = new AdvectionDiffusion();
  const s = weatherScenarios(w, key(5), 400, { delta: 0.5, maxLag: 2, oneFieldRate: 0.25 });
  const withheld = s.both.filter((b) => b === 0).length;
  assert.ok(withheld > 60 && withheld < 140, `withheld ${withheld}`);
  for (let i = 0; i < 400; i++) {
    if (!s.both[i]) assert.ok(s.first.subarray(i * w.size, (i + 1) * w.size).every((v) => v === 0));
    assert.ok(s.lag[i] >= 0 && s.lag[i] <= 2);
  }
  assert.throws(
    () => new AdvectionDiffusion({ modes: 6 }),
    /modes 6 must be an integer in \[1, grid\/2\)/,
  );
  assert.throws(() => w.advance(null, new Float64Array(49), new Float64Array(2), [-1]), /lag -1/);
  assert.throws(
    () => w.advance(null, new Float64Array(49), new Float64Array(4), [1]),
    /do not describe/,
  );
});
