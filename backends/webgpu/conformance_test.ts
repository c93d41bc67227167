// The backend conformance suite on `webgpu` (Deno's navigator.gpu; Mesa lavapipe in CI). Where
// no adapter exists the suite cannot run; CI sets MFM_REQUIRE_WEBGPU=1 so that is a failure there.
import "@mfm/backends/cpu";
import { initWebGpu } from "@mfm/backends/webgpu";
import { defineConformanceTests } from "../../tests/conformance.ts";

let available = true;
try {
  const b = await initWebGpu();
  console.log(
    `webgpu adapter: ${b.adapter.source}, ${b.adapter.description}${
      b.adapter.fallback ? " (fallback/software)" : ""
    }`,
  );
} catch (e) {
  if (Deno.env.get("MFM_REQUIRE_WEBGPU") === "1") throw e;
  available = false;
  console.log(`webgpu conformance not run: ${(e as Error).message}`);
}
if (available) defineConformanceTests("webgpu");
