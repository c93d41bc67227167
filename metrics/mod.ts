/**
 * Metrics: sliced Wasserstein-2, unbiased multi-scale MMD², mode weights and total variation.
 *
 * @example
 * ```ts
 * import { slicedW2 } from "@mfm/metrics";
 * slicedW2(a, b);
 * ```
 *
 * @module
 */

export * from "./metrics.ts";
export * from "./forecast.ts";
export * from "./fid.ts";
