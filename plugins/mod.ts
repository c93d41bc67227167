/**
 * Plugins: one `use(plugin)` door for objectives, reward kinds and backends, and `loadPlugin`
 * for third-party modules.
 *
 * @example
 * ```ts
 * import { use } from "@mfm/plugins";
 * use({ name: "my-lab/extras", apiVersion: 1, objectives: [myObjective] });
 * ```
 *
 * @module
 */

export * from "./plugins.ts";
