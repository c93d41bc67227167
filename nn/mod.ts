/**
 * Neural-network basics: initialisers, dense layers and MLPs, time embeddings, optimisers
 * (Adam, AdamW, RAdam with warm-up), parameter EMA, and safetensors checkpoints.
 *
 * @example
 * ```ts
 * import { initMlp, mlp } from "@mfm/nn";
 * const p = initMlp(key(0), [2, 64, 2]);
 * const y = mlp(p, x);
 * ```
 *
 * @module
 */

export * from "./init.ts";
export * from "./layers.ts";
export * from "./embeddings.ts";
export * from "./optim.ts";
export * from "./ema.ts";
export * from "./safetensors.ts";
export * from "./conv.ts";
export * from "./unet.ts";
