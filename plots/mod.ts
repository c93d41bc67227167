/**
 * Plots: scatter panels and line plots as SVG, saved as PNG through sharp.
 *
 * @example
 * ```ts
 * import { savePng, scatterPanels } from "@mfm/plots";
 * ```
 *
 * @module
 */

export * from "./plots.ts";
export * from "./images.ts";
