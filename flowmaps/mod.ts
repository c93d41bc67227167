/**
 * Flow maps and Meta Flow Maps: the `StochasticFlowMap` interface, the MFM MLP, GLASS
 * conditional drifts (teacher and ODE posterior sampler), and drift / denoiser / score
 * extraction.
 *
 * @example
 * ```ts
 * import { flowMapOf, initMfmMlp, mfmMlpConfig, mfmMlpVelocity } from "@mfm/flowmaps";
 * const cfg = mfmMlpConfig({ dim: 2 });
 * const mfm = flowMapOf(mfmMlpVelocity(cfg, initMfmMlp(key(0), cfg)));
 * ```
 *
 * @module
 */

export * from "./flow_map.ts";
export * from "./mlp.ts";
export * from "./glass.ts";
export * from "./extract.ts";
export * from "./unet.ts";
