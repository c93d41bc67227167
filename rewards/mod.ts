/**
 * Reward models: the interface, the linear-Gaussian inverse problem, classifier mixtures,
 * ONNX-file rewards, multipliers, sums and the reward registry.
 *
 * @example
 * ```ts
 * import { linearGaussianReward } from "@mfm/rewards";
 * const r = linearGaussianReward({ a: [1.2, -0.8], y: -1, sigma: 0.2 });
 * ```
 *
 * @module
 */

export * from "./rewards.ts";
export * from "./onnx_reward.ts";
