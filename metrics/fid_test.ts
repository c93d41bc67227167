import assert from "assert";
import { key, normalArray } from "@mfm/tensor";
import { frechetDistance, symmetricEigen } from "./fid.ts";

const close = (a: number, b: number, tol: number, what = "") =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`);

Deno.test("symmetricEigen: reconstructs the matrix; known eigenvalues", () => {
  const { values } = symmetricEigen(Float64Array.of(2, 1, 1, 2), 2);
  assert.deepEqual([...values].map((v) => +v.toFixed(12)).sort(), [1, 3]);
  const n = 6;
  const g = normalArray(key(0), n * n);
  const s = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) s[i * n + j] = g[i * n + j] + g[j * n + i];
  }
  const e = symmetricEigen(s, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let k = 0; k < n; k++) acc += e.vectors[i * n + k] * e.values[k] * e.vectors[j * n + k];
      close(acc, s[i * n + j], 1e-10, `(${i}, ${j})`);
    }
  }
});

Deno.test("frechetDistance: the Gaussian closed form, and ≈ 0 for two samples of one law", () => {
  // N(0, diag(1, 4)) vs N((1, 0), diag(4, 1)): |Δμ|² + Σ(σ1 − σ2)² = 1 + 1 + 1 = 3
  const n = 200000;
  const z = normalArray(key(1), 4 * n);
  const a = new Float64Array(2 * n);
  const b = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    a[2 * i] = z[4 * i];
    a[2 * i + 1] = 2 * z[4 * i + 1];
    b[2 * i] = 1 + 2 * z[4 * i + 2];
    b[2 * i + 1] = z[4 * i + 3];
  }
  close(frechetDistance(a, b, 2), 3, 0.05, "closed form");
  const c = Float64Array.from(normalArray(key(2), 2 * n), (v, i) => (i % 2 ? 2 * v : v));
  close(frechetDistance(a, c, 2), 0, 0.01, "same law");
  assert.throws(() => frechetDistance([1, 2], [1, 2, 3, 4], 2), /not ≥ 2 rows/);
});
