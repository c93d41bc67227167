/**
 * mfm — Meta Flow Maps for TypeScript. This root module re-exports the packages and registers
 * the `cpu` backend.
 *
 * @example
 * ```ts
 * import { grad, tensor, type Tensor } from "./mod.ts";
 * grad((x: Tensor) => x.square().sum())(tensor([1, 2])).toArray(); // [2, 4]
 * ```
 *
 * @module
 */

export * from "@mfm/tensor";
export * from "@mfm/backends";
export * from "@mfm/nn";
export * from "@mfm/interpolants";
export * from "@mfm/datasets";
export * from "@mfm/metrics";
export * from "@mfm/flowmaps";
export * from "@mfm/samplers";
export * from "@mfm/losses";
export * from "@mfm/train";
export * from "@mfm/plots";
export * from "@mfm/rewards";
export * from "@mfm/steering";
export * from "@mfm/finetune";
export * from "@mfm/plugins";
export * from "@mfm/processes";
