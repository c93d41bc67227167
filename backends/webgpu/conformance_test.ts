// The backend conformance suite on `webgpu` and on `webgpu-alt` (its other matmul kernel), through
// Deno's navigator.gpu (Mesa lavapipe in CI). Where no adapter exists the suite cannot run; CI sets MFM_REQUIRE_WEBGPU=1 so that is a failure there.
import "@mfm/backends/cpu";
import { initWebGpu, WebGpuBackend } from "@mfm/backends/webgpu";
import { registerBackend } from "@mfm/tensor";
import { defineConformanceTests } from "../../tests/conformance.ts";
import { webGpuForTests } from "./test_device.ts";

if (await webGpuForTests()) {
  const b = await initWebGpu(); // already acquired: says which adapter
  console.log(
    `webgpu adapter: ${b.adapter.source}, ${b.adapter.description}${
      b.adapter.fallback ? " (fallback/software)" : ""
    }`,
  );
  defineConformanceTests("webgpu");
  // the other matmul choice on the same device, so both kernels are checked on every adapter
  const tiled = !(b.render.tiledMatmul ?? true);
  const alt = new WebGpuBackend(b.device, b.adapter, { tiledMatmul: tiled }, "webgpu-alt");
  registerBackend("webgpu-alt", () => alt);
  defineConformanceTests("webgpu-alt");
}
