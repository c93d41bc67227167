// The backend conformance suite on `webgpu` (Deno's navigator.gpu; Mesa lavapipe in CI). Where
// no adapter exists the suite cannot run; CI sets MFM_REQUIRE_WEBGPU=1 so that is a failure there.
import "@mfm/backends/cpu";
import { initWebGpu } from "@mfm/backends/webgpu";
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
}
