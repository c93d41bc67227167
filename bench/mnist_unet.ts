// deno task bench:mnist [channels] [batch] [consistency] [fraction]
// Training throughput of the MNIST UNet MFM on the onnx backend (30 steps after compile), to size
// the network, side by side with conv kernel gradients left to ORT's Conv: e.g.
// `16,32,64 64 semigroup 0.5` is the committed configuration's last stage.
import "../backends/mod.ts";
import { OnnxBackend } from "../backends/onnx/mod.ts";
import {
  initMfmUNet,
  loadMnistSync,
  mfmUNetConfig,
  type MfmUNetParams,
  mfmUNetVelocity,
  mnistImages,
  registerBackend,
  setBackend,
  uniformArray,
} from "../mod.ts";
import { resolveConfig, trainMfm } from "../train/mod.ts";

const channels = (Deno.args[0] ?? "16,32,64").split(",").map(Number);
const batch = Number(Deno.args[1] ?? 64);
const consistency = Deno.args[2] ?? "semigroup";
const fraction = Number(Deno.args[3] ?? 0.5);
// the same training step under both conv kernel-gradient lowerings, alternated (A B A B) so a
// drift in the machine's speed hits both alike
registerBackend("onnx-conv", () => new OnnxBackend({ name: "onnx-conv", convWindows: false }));
setBackend("onnx");
const train = loadMnistSync("train");
const net = mfmUNetConfig({ side: 28, channels });
const stepsPerSecond = async (backend: string): Promise<number> => {
  const config = resolveConfig({
    steps: 31,
    batch,
    consistency,
    consistencyFraction: fraction,
    checkpointEvery: 0,
    backend,
  });
  const r = await trainMfm(config, {
    dim: 784,
    sampleData: (k, n) =>
      mnistImages(train, Array.from(uniformArray(k, n), (u) => Math.floor(u * train.count))).images
        .reshape([n, 784]),
  }, {
    model: {
      init: (k) => initMfmUNet(k, net),
      velocity: (p: MfmUNetParams) => mfmUNetVelocity(net, p),
    },
    progress: false,
  });
  return r.stepsPerSecond;
};
const rates: Record<string, number[]> = { "onnx": [], "onnx-conv": [] };
for (let rep = 0; rep < 2; rep++) {
  for (const backend of ["onnx", "onnx-conv"]) rates[backend].push(await stepsPerSecond(backend));
}
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const [windows, conv] = [mean(rates["onnx"]), mean(rates["onnx-conv"])];
console.log(`UNet ${channels} batch ${batch} ${consistency} (fraction ${fraction}), 30 steps × 2:`);
console.log(
  `  onnx (kernel gradients as window products): ${windows.toFixed(2)} steps/s = ${
    (windows * batch).toFixed(0)
  } images/s`,
);
console.log(
  `  onnx-conv (kernel gradients as ORT Conv):   ${conv.toFixed(2)} steps/s = ${
    (conv * batch).toFixed(0)
  } images/s; window products ×${(windows / conv).toFixed(2)} faster`,
);
