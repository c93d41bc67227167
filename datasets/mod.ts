/**
 * Datasets: Gaussian mixtures with closed-form posteriors (the paper's 2-D GMM) and MNIST.
 *
 * @example
 * ```ts
 * import { paperGmm } from "@mfm/datasets";
 * const x1 = paperGmm().sample(key(0), 4096);
 * ```
 *
 * @module
 */

export * from "./gmm.ts";
export * from "./tilt.ts";
export * from "./mnist.ts";
