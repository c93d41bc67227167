// Baseline throughput of the cpu reference backend: square matmuls and a jitted MLP forward,
// reported in GFLOP/s (median of timed repetitions after a warm-up). A baseline for later
// backends, not a target.
import "@mfm/backends/cpu";
import { jit, key, matmul, normal, split, type Tensor } from "@mfm/tensor";
import { initMlp, mlp, type MlpParams } from "@mfm/nn";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(f: () => unknown, minMs = 400, minReps = 3): number {
  f();
  const ts: number[] = [];
  const start = performance.now();
  while (ts.length < minReps || performance.now() - start < minMs) {
    const t0 = performance.now();
    f();
    ts.push(performance.now() - t0);
  }
  return median(ts) / 1000;
}

const rows: { workload: string; ms: number; gflops: number }[] = [];
for (const n of [128, 256, 512]) {
  const [a, b] = split(key(n));
  const x = normal(a, [n, n]);
  const y = normal(b, [n, n]);
  const s = time(() => matmul(x, y).dataSync());
  rows.push({ workload: `matmul ${n}×${n}×${n} f32`, ms: s * 1e3, gflops: (2 * n ** 3) / s / 1e9 });
}

const sizes = [2, 256, 256, 2];
const batch = 1024;
const params = initMlp(key(1), sizes);
const x = normal(key(2), [batch, 2]);
const fwd = jit((p: MlpParams, xs: Tensor) => mlp(p, xs, "silu"));
const flops = sizes.slice(1).reduce((acc, o, i) => acc + 2 * batch * sizes[i] * o, 0);
const s = time(() => fwd(params, x).dataSync());
rows.push({
  workload: `MLP forward ${sizes.join("→")} batch ${batch} (jit)`,
  ms: s * 1e3,
  gflops: flops / s / 1e9,
});

console.log("cpu backend baseline (median time per call)\n");
console.log("| workload | ms | GFLOP/s |\n|---|---:|---:|");
for (const r of rows) {
  console.log(`| ${r.workload} | ${r.ms.toFixed(2)} | ${r.gflops.toFixed(2)} |`);
}
