import "../backends/mod.ts";
import { key, setBackend, resolveConfig, trainMfm, loadMnistSync, mnistImages, uniformArray, flowMapOf } from "../mod.ts";
import { initMfmUNet, mfmUNetConfig, mfmUNetVelocity, type MfmUNetParams } from "../flowmaps/mod.ts";
const ch = (Deno.args[0] ?? "16,32,64").split(",").map(Number);
const B = Number(Deno.args[1] ?? 64);
const cons = Deno.args[2] ?? "semigroup";
setBackend("onnx");
const train = loadMnistSync("train");
const cfg = mfmUNetConfig({ side: 28, channels: ch });
const cfgT = resolveConfig({ steps: 30, batch: B, consistency: cons, checkpointEvery: 0 });
const r = await trainMfm(cfgT, {
  dim: 784,
  sampleData: (k, n) => mnistImages(train, Array.from(uniformArray(k, n), (u) => Math.floor(u * 60000))).images.reshape([n, 784]),
}, { model: { init: (k) => initMfmUNet(k, cfg), velocity: (p) => mfmUNetVelocity(cfg, p as MfmUNetParams) }, progress: false });
console.log(`channels ${ch} batch ${B} ${cons}: ${r.stepsPerSecond.toFixed(2)} steps/s = ${(r.stepsPerSecond * B).toFixed(0)} img/s`);
