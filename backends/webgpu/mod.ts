/**
 * The `webgpu` backend (WGSL kernels through the standard WebGPU API). Importing this module
 * registers the name; `await initWebGpu()` acquires the device before first use.
 *
 * @example
 * ```ts
 * import { initWebGpu } from "@mfm/backends/webgpu";
 * await initWebGpu();
 * setBackend("webgpu");
 * ```
 *
 * @module
 */

import { PLUGIN_API_VERSION, use } from "@mfm/plugins";
import { acquiredWebGpu } from "./backend.ts";

export * from "./backend.ts";
export * from "./wgsl.ts";
export * from "./fuse.ts";

use({
  name: "mfm/webgpu",
  apiVersion: PLUGIN_API_VERSION,
  description: "WGSL kernels through WebGPU (Dawn or the runtime's navigator.gpu)",
  backends: { webgpu: acquiredWebGpu },
});
