// deno task bench:onnx (or bench:webgpu, or --backend NAME) — the five GMM MFM workloads on a backend, side by side with
// PyTorch (CPU) running the same workloads in the same run when Debian's python3-torch is
// installed. Prints steps/s for both and the ratio mfm/PyTorch per workload; the last line is
// `<backend>_vs_torch min_ratio=<n>` (or `torch=absent`).
import "@mfm/backends/cpu";
import "@mfm/backends/onnx";
import { initWebGpu } from "@mfm/backends/webgpu";
import { parseArgs } from "cli-args";
import { setBackend } from "@mfm/tensor";
import { GMM_BENCH, gmmNet, gmmWorkloads } from "./gmm_workloads.ts";
import { key } from "@mfm/tensor";

const args = parseArgs({
  args: Deno.args,
  options: {
    seconds: { type: "string", default: "3" },
    threads: { type: "string", default: String(navigator.hardwareConcurrency ?? 2) },
    backend: { type: "string", default: "onnx" },
  },
  strict: true,
}).values;
const seconds = Number(args.seconds);
const threads = Number(args.threads);
if (!(seconds > 0) || !Number.isInteger(threads) || threads < 1) {
  console.error(
    `bench:onnx: --seconds ${args.seconds} must be > 0 and --threads ${args.threads} a positive integer`,
  );
  Deno.exit(2);
}

async function measure(step: () => Promise<void>): Promise<number> {
  for (let i = 0; i < 3; i++) await step(); // compile and warm up
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    await step();
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

if (args.backend === "webgpu") {
  const gpu = await initWebGpu();
  console.log(`WebGPU adapter: ${JSON.stringify(gpu.adapter)}`);
}
console.log(
  `GMM MFM workloads: MLP ${gmmNet(key(0)).numParams} parameters, batch ${GMM_BENCH.batch}, ` +
    `${threads} threads, backend ${args.backend}`,
);

async function rates(backend: string): Promise<Record<string, number>> {
  setBackend(backend);
  const out: Record<string, number> = {};
  for (const w of gmmWorkloads()) {
    out[w.name] = await measure(w.step);
    console.log(
      `  ${backend.padEnd(7)} ${w.name.padEnd(16)} ${
        out[w.name].toFixed(1).padStart(8)
      } steps/s  (${w.description})`,
    );
  }
  return out;
}

// another backend is measured beside onnx in the same run, so the ratio is like for like
const onnxRates = args.backend === "onnx" ? undefined : await rates("onnx");
const mfm = await rates(args.backend);
if (onnxRates) {
  console.log(
    `\n| workload | ${args.backend} steps/s | onnx steps/s | ${args.backend} / onnx |\n|---|---:|---:|---:|`,
  );
  for (const k of Object.keys(mfm)) {
    console.log(
      `| ${k} | ${mfm[k].toFixed(1)} | ${onnxRates[k].toFixed(1)} | ${
        (mfm[k] / onnxRates[k]).toFixed(3)
      } |`,
    );
  }
}

async function torchRates(): Promise<Record<string, number> | undefined> {
  const script = new URL("gmm_torch.py", import.meta.url).pathname;
  try {
    const out = await new Deno.Command("/usr/bin/python3", {
      args: [script, "--seconds", String(seconds), "--threads", String(threads)],
      env: { OMP_WAIT_POLICY: "PASSIVE", OMP_NUM_THREADS: String(threads) },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      const err = new TextDecoder().decode(out.stderr);
      if (/No module named 'torch'/.test(err)) return undefined;
      throw new Error(err.trim().split("\n").slice(-3).join(" | "));
    }
    return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

const torch = await torchRates();
if (!torch) {
  console.log(
    "PyTorch is absent (apt-get install -y python3-torch libopenblas0-openmp to compare)",
  );
  console.log(`${args.backend}_vs_torch torch=absent`);
} else {
  console.log(
    "\n| workload | mfm steps/s | PyTorch steps/s | mfm / PyTorch |\n|---|---:|---:|---:|",
  );
  const ratios = Object.keys(mfm).map((k) => {
    const r = mfm[k] / torch[k];
    console.log(`| ${k} | ${mfm[k].toFixed(1)} | ${torch[k].toFixed(1)} | ${r.toFixed(2)} |`);
    return r;
  });
  console.log(`${args.backend}_vs_torch min_ratio=${Math.min(...ratios).toFixed(2)}`);
}
