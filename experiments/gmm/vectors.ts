/**
 * The shared GMM unit-test vectors (a copy of shared/spec/gmm_test_vectors.json in
 * datasets/testdata): closed-form posterior quantities, drifts, ∇V and DPS drifts at fixed (t, x).
 *
 * @module
 */

/** One test point of the paper's GMM inverse problem (linear path). */
export interface GmmTestVector {
  readonly t: number;
  readonly x: number[];
  readonly pi_k: number[];
  readonly m_k: number[][];
  readonly "c_k (posterior var per comp, isotropic)": number[];
  readonly "D=E[x1|x]": number[];
  readonly "b=(D-x)/(1-t)": number[];
  readonly "(g2/2)gradV": number[];
  readonly "(g2/2)grad r(D) [DPS]": number[];
  readonly "score=(tb-x)/(1-t)"?: number[];
}

/**
 * Every test point (`interior`: only 0 < t < 0.95, where ∇V and drifts are finite).
 *
 * @example
 * ```ts
 * for (const v of gmmTestVectors({ interior: true })) …
 * ```
 */
export function gmmTestVectors(opts: { interior?: boolean } = {}): GmmTestVector[] {
  const all = (JSON.parse(
    Deno.readTextFileSync(
      new URL("../../datasets/testdata/gmm_test_vectors.json", import.meta.url),
    ),
  ) as { points: GmmTestVector[] }).points;
  return opts.interior ? all.filter((v) => v.t > 0 && v.t < 0.95) : all;
}
