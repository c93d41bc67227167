// For the webgpu tests: acquire the device once. Where no adapter exists the tests cannot run
// and are skipped; CI sets MFM_REQUIRE_WEBGPU=1, so there that is a failure.
import { initWebGpu } from "./mod.ts";

/**
 * Whether a WebGPU device could be acquired (throws where MFM_REQUIRE_WEBGPU=1 and none can).
 *
 * @example
 * ```ts
 * const available = await webGpuForTests();
 * Deno.test({ name: "…", ignore: !available, fn: () => {} });
 * ```
 */
export async function webGpuForTests(): Promise<boolean> {
  try {
    await initWebGpu();
    return true;
  } catch (e) {
    if (Deno.env.get("MFM_REQUIRE_WEBGPU") === "1") throw e;
    console.log(`webgpu tests not run: ${(e as Error).message}`);
    return false;
  }
}
