// deno task bench:webgpu-matmul — fp32 matmul throughput of the webgpu backend's two kernels
// (shared-memory tiled; register-blocked) on the same device, in GFLOP/s (median of timed calls
// after a warm-up). Each call is one submission of matmul + sum, awaited, so the readback is one
// number. Compare with the GPU's fp32 peak.
import { initWebGpu, WebGpuBackend } from "@mfm/backends/webgpu";
import {
  jit,
  key,
  matmul,
  normal,
  registerBackend,
  setBackend,
  split,
  type Tensor,
} from "@mfm/tensor";

const gpu = await initWebGpu();
console.log(`WebGPU adapter: ${JSON.stringify(gpu.adapter)}`);
for (const tiled of [true, false]) {
  const name = tiled ? "webgpu-tiled" : "webgpu-blocked";
  registerBackend(
    name,
    () => new WebGpuBackend(gpu.device, gpu.adapter, { tiledMatmul: tiled }, name),
  );
}

async function seconds(f: () => Promise<unknown>, minMs = 1000, minReps = 3): Promise<number> {
  await f();
  const ts: number[] = [];
  const start = performance.now();
  while (ts.length < minReps || performance.now() - start < minMs) {
    const t0 = performance.now();
    await f();
    ts.push(performance.now() - t0);
  }
  return [...ts].sort((a, b) => a - b)[Math.floor(ts.length / 2)] / 1000;
}

const sizes = (Deno.args[0] ?? "256,512,1024").split(",").map(Number);
if (sizes.some((n) => !Number.isInteger(n) || n < 1)) {
  console.error(
    `bench:webgpu-matmul: sizes "${Deno.args[0]}" must be positive integers, e.g. 256,512`,
  );
  Deno.exit(2);
}
console.log("\n| n×n×n f32 | tiled GFLOP/s | register-blocked GFLOP/s |\n|---|---:|---:|");
for (const n of sizes) {
  const rates: number[] = [];
  for (const name of ["webgpu-tiled", "webgpu-blocked"]) {
    setBackend(name);
    const [a, b] = split(key(n));
    const x = normal(a, [n, n]);
    const y = normal(b, [n, n]);
    const f = jit((p: Tensor, q: Tensor) => matmul(p, q).sum());
    rates.push((2 * n ** 3) / (await seconds(() => f(x, y).data())) / 1e9);
  }
  console.log(`| ${n} | ${rates[0].toFixed(1)} | ${rates[1].toFixed(1)} |`);
}
