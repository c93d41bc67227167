// The GMM MFM trains on webgpu with the cpu loss curve (fixed seed), and an MFM-G steering
// estimate runs on it and matches cpu.
import assert from "assert";
import "@mfm/backends/cpu";
import { webGpuForTests } from "./test_device.ts";
import {
  assertAllClose,
  full,
  getBackend,
  key,
  normal,
  setBackend,
  type Tensor,
} from "@mfm/tensor";
import { linearInterpolant } from "@mfm/interpolants";
import { paperGmm } from "@mfm/datasets";
import { flowMapOf, initMfmMlp, mfmMlpConfig, mfmMlpVelocity } from "@mfm/flowmaps";
import { linearGaussianReward } from "@mfm/rewards";
import { mfmDraws, mfmG } from "@mfm/steering";
import { resolveConfig, trainMfm } from "@mfm/train";

const available = await webGpuForTests();

if (available) {
  const gmm = paperGmm();
  const problem = {
    dim: 2,
    sampleData: (k: ReturnType<typeof key>, n: number) => gmm.sample(k, n),
  };
  const cfg = (backend: string) =>
    resolveConfig({
      backend,
      steps: 20,
      batch: 64,
      lr: 3e-3,
      warmupSteps: 2,
      net: { hidden: 32, depth: 2, fourier: 4 },
      checkpointEvery: 0,
    });

  Deno.test("[webgpu] the GMM MFM trains with the cpu loss curve", async () => {
    const cpu = await trainMfm(cfg("cpu"), problem, { progress: false });
    const gpu = await trainMfm(cfg("webgpu"), problem, { progress: false });
    assertAllClose(
      gpu.losses.map((l) => l.loss),
      cpu.losses.map((l) => l.loss),
      { rtol: 2e-3 },
      "loss curve",
    );
  });

  Deno.test("[webgpu] an MFM-G steering estimate runs and matches cpu", async () => {
    const net = mfmMlpConfig({ dim: 2, hidden: 32, depth: 2, fourier: 4 });
    const reward = linearGaussianReward({ a: [1.2, -0.8], y: -1, sigma: 0.5 });
    const run = async (backend: string) => {
      const before = getBackend().name;
      setBackend(backend);
      try {
        const mfm = flowMapOf(mfmMlpVelocity(net, initMfmMlp(key(1), net)));
        const g = mfmG(mfmDraws(mfm), reward, { n: 8, interpolant: linearInterpolant });
        const est = g.estimate(g.noise(key(2), 16, 2), full([16], 0.4), normal(key(3), [16, 2]));
        return { correction: await est.correction.data(), ess: await (est.ess as Tensor).data() };
      } finally {
        setBackend(before);
      }
    };
    const cpu = await run("cpu");
    const gpu = await run("webgpu");
    assertAllClose(gpu.correction, cpu.correction, { rtol: 1e-3, atol: 1e-4 }, "(g²/2)∇V̂");
    assertAllClose(gpu.ess, cpu.ess, { rtol: 1e-3 }, "ESS");
    assert.ok(Array.from(cpu.correction).some((v) => Math.abs(v) > 1e-3), "a non-trivial estimate");
  });
}
