// Device errors surface: WebGPU reports invalid kernels asynchronously, and the backend turns
// them into an exception at the next read instead of silent zeros.
import assert from "assert";
import "@mfm/backends/cpu";
import { assertAllClose, key, normal, setBackend } from "@mfm/tensor";
import { initWebGpu } from "./mod.ts";
import { webGpuForTests } from "./test_device.ts";

const available = await webGpuForTests();

Deno.test({
  name: "webgpu: a kernel the device rejects fails the next read, named (no silent zeros)",
  ignore: !available,
  fn: async () => {
    const gpu = await initWebGpu();
    gpu.device.createShaderModule({ code: "fn main() { let x: f32 = 1u; }", label: "bad+kernel" });
    setBackend("webgpu");
    try {
      await assert.rejects(
        () => normal(key(0), [4]).exp().data(),
        /reported 1 error[\s\S]*bad\+kernel/,
      );
      assertAllClose(await normal(key(0), [4]).mul(0).data(), [0, 0, 0, 0]); // and it recovers
    } finally {
      setBackend("cpu");
    }
  },
});
