// deno task bench:mnist [channels] [batch] [consistency] [fraction]
// Training throughput of the MNIST UNet MFM on the onnx backend (30 steps after compile), to size
// the network: e.g. `16,32,64 64 semigroup 0.25` is the committed configuration.
import "../backends/mod.ts";
import {
  initMfmUNet,
  loadMnistSync,
  mfmUNetConfig,
  type MfmUNetParams,
  mfmUNetVelocity,
  mnistImages,
  setBackend,
  uniformArray,
} from "../mod.ts";
import { resolveConfig, trainMfm } from "../train/mod.ts";

const channels = (Deno.args[0] ?? "16,32,64").split(",").map(Number);
const batch = Number(Deno.args[1] ?? 64);
const consistency = Deno.args[2] ?? "semigroup";
const fraction = Number(Deno.args[3] ?? 0.25);
setBackend("onnx");
const train = loadMnistSync("train");
const net = mfmUNetConfig({ side: 28, channels });
const config = resolveConfig({
  steps: 31,
  batch,
  consistency,
  consistencyFraction: fraction,
  checkpointEvery: 0,
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
console.log(
  `UNet ${channels} batch ${batch} ${consistency} (fraction ${fraction}): ` +
    `${r.stepsPerSecond.toFixed(2)} steps/s = ${(r.stepsPerSecond * batch).toFixed(0)} images/s`,
);
