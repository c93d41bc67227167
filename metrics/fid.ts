/**
 * Fréchet distance between Gaussian fits of two feature sets (FID when the features come from an
 * image classifier): |μ₁ − μ₂|² + tr(Σ₁ + Σ₂ − 2(Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2}), with a symmetric
 * eigensolver (cyclic Jacobi, f64) for the matrix square roots.
 *
 * @module
 */

/**
 * Eigenvalues and eigenvectors of a symmetric `n×n` matrix (row-major), by cyclic Jacobi
 * rotations: `{ values, vectors }` with the eigenvectors as the columns of `vectors`.
 *
 * @example
 * ```ts
 * symmetricEigen(Float64Array.of(2, 1, 1, 2), 2).values; // [1, 3] in some order
 * ```
 */
export function symmetricEigen(
  m: ArrayLike<number>,
  n: number,
): { values: Float64Array; vectors: Float64Array } {
  if (m.length !== n * n) throw new RangeError(`symmetricEigen: ${m.length} values for ${n}×${n}`);
  const a = Float64Array.from(m);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += a[i * n + i] ** 2;
      for (let j = i + 1; j < n; j++) off += a[i * n + j] ** 2;
    }
    if (off <= 1e-30 * Math.max(diag, 1e-300)) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // A ← Jᵀ A J on rows/columns p and q
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: Float64Array.from({ length: n }, (_, i) => a[i * n + i]), vectors: v };
}

/** Mean and (unbiased) covariance of `count` rows of `dim` features. */
function moments(x: ArrayLike<number>, dim: number): { mean: Float64Array; cov: Float64Array } {
  const count = x.length / dim;
  if (!Number.isInteger(count) || count < 2) {
    throw new RangeError(`frechetDistance: ${x.length} values are not ≥ 2 rows of ${dim} features`);
  }
  const mean = new Float64Array(dim);
  for (let i = 0; i < count; i++) for (let j = 0; j < dim; j++) mean[j] += x[i * dim + j] / count;
  const cov = new Float64Array(dim * dim);
  const row = new Float64Array(dim);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < dim; j++) row[j] = x[i * dim + j] - mean[j];
    for (let j = 0; j < dim; j++) {
      const r = row[j] / (count - 1);
      for (let k = j; k < dim; k++) cov[j * dim + k] += r * row[k];
    }
  }
  for (let j = 0; j < dim; j++) for (let k = 0; k < j; k++) cov[j * dim + k] = cov[k * dim + j];
  return { mean, cov };
}

/** S^{1/2} of a symmetric positive semi-definite matrix (negative round-off clipped to 0). */
function sqrtm(s: Float64Array, n: number): Float64Array {
  const { values, vectors } = symmetricEigen(s, n);
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const r = Math.sqrt(Math.max(values[k], 0));
    for (let i = 0; i < n; i++) {
      const a = vectors[i * n + k] * r;
      for (let j = 0; j < n; j++) out[i * n + j] += a * vectors[j * n + k];
    }
  }
  return out;
}

function matmul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k];
      for (let j = 0; j < n; j++) out[i * n + j] += aik * b[k * n + j];
    }
  }
  return out;
}

/**
 * The Fréchet distance between Gaussian fits of two sets of `dim`-d feature rows.
 *
 * @example
 * ```ts
 * frechetDistance(featuresOfSamples, featuresOfTestImages, 128); // classifier-feature FID
 * ```
 */
export function frechetDistance(a: ArrayLike<number>, b: ArrayLike<number>, dim: number): number {
  const A = moments(a, dim);
  const B = moments(b, dim);
  let d2 = 0;
  for (let j = 0; j < dim; j++) d2 += (A.mean[j] - B.mean[j]) ** 2;
  const r = sqrtm(A.cov, dim);
  const inner = matmul(matmul(r, B.cov, dim), r, dim);
  // symmetrise against round-off before the eigensolver
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j < i; j++) {
      const m = (inner[i * dim + j] + inner[j * dim + i]) / 2;
      inner[i * dim + j] = inner[j * dim + i] = m;
    }
  }
  const { values } = symmetricEigen(inner, dim);
  let tr = 0;
  for (let j = 0; j < dim; j++) tr += A.cov[j * dim + j] + B.cov[j * dim + j];
  for (const v of values) tr -= 2 * Math.sqrt(Math.max(v, 0));
  return d2 + tr;
}
