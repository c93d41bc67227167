/**
 * MFM-FT: the unbiased off-policy fine-tuning objective, its trainer, and the committed
 * fine-tuned GMM drift.
 *
 * @example
 * ```ts
 * import { finetuneMfm } from "@mfm/finetune";
 * ```
 *
 * @module
 */

export * from "./mfm_ft.ts";
