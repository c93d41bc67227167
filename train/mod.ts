/**
 * Training MFMs: configuration, the training loop with checkpoints and resume, and the
 * progress bar.
 *
 * @example
 * ```ts
 * import { resolveConfig, trainMfm } from "@mfm/train";
 * ```
 *
 * @module
 */

export * from "./config.ts";
export * from "./trainer.ts";
export * from "./progress.ts";
