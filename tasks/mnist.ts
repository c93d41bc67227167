// deno task mnist:classifier — train the MNIST CNN (≥ 99 % test accuracy), save it as
//   checkpoints/mnist/classifier.safetensors and classifier.onnx (logits, then the 128-d features).
// deno task mnist:train — train the UNet MFM (resumable: --resume), writes out/mnist/.
// deno task mnist:eval — unconditional samples: classifier-feature FID vs the real-data floor,
//   confidence of 4-step samples, PNG grids.
// deno task mnist:steer — the class-mixture steering table (MATH-reward §10.2).
import "../backends/mod.ts";
import { parseArgs } from "cli-args";
import {
  exportOnnx,
  initMfmUNet,
  key,
  linePlot,
  loadMnistSync,
  mfmUNetConfig,
  type MfmUNetParams,
  mfmUNetVelocity,
  mnistImages,
  namedLeaves,
  normal,
  savePng,
  saveSafetensors,
  setBackend,
  type Tensor,
  uniformArray,
  writeFileAtomic,
} from "../mod.ts";
import { ProgressBar, resolveConfig, trainMfm } from "../train/mod.ts";
import {
  classifierFeatures,
  classifierLogits,
  evaluateClassifier,
  trainClassifier,
} from "../experiments/mnist/classifier.ts";
import { MNIST_CHECKPOINT_DIR } from "../experiments/mnist/checkpoint.ts";

const [mode, ...rest] = Deno.args;
const fail = (msg: string): never => {
  console.error(`mnist:${mode ?? "?"}: ${msg}`);
  Deno.exit(2);
};
const MODES = ["classifier", "train", "eval", "steer"];
if (!MODES.includes(mode)) fail(`mode "${mode}" must be one of ${MODES.join(", ")}`);
setBackend("onnx");

if (mode === "classifier") {
  const args = parseArgs({
    args: rest,
    options: {
      epochs: { type: "string", default: "3" },
      seed: { type: "string", default: "0" },
      out: { type: "string", default: MNIST_CHECKPOINT_DIR },
    },
    strict: true,
  }).values;
  const [epochs, seed] = [Number(args.epochs), Number(args.seed)];
  if (!Number.isInteger(epochs) || epochs < 1 || !Number.isInteger(seed) || seed < 0) {
    fail(`--epochs ${args.epochs} must be a positive integer, --seed ${args.seed} ≥ 0`);
  }
  const train = loadMnistSync("train");
  const test = loadMnistSync("test");
  const t0 = performance.now();
  let bar: ProgressBar | undefined;
  const params = trainClassifier(train, {
    epochs,
    seed,
    onStep: (i, total, loss) => {
      bar ??= new ProgressBar("mnist:classifier", total);
      if (i % 50 === 0 || i === total) bar.update(i, { loss: loss().toFixed(4) });
    },
  });
  bar?.done();
  const seconds = (performance.now() - t0) / 1000;
  const { accuracy } = evaluateClassifier(params, test);
  await Deno.mkdir(args.out, { recursive: true });
  await saveSafetensors(`${args.out}/classifier.safetensors`, params, {
    test_accuracy: accuracy.toFixed(4),
  });
  await exportOnnx(
    (x: Tensor) => [classifierLogits(params, x), classifierFeatures(params, x)],
    [normal(key(0), [100, 784])], // a batch above 64: small constants must not take its size
    `${args.out}/classifier.onnx`,
    { dynamicBatch: true, inputNames: ["image"], outputNames: ["logits", "features"] },
  );
  const report = `# MNIST classifier

Four 3×3 convolutions (32, 32/2, 64, 64/2 channels; /2 = stride 2), ReLU, a 128-wide dense
layer, 10 logits. Adam, batch 128, cosine-decayed learning rate 2e-3, ${epochs} epochs, seed ${seed}:
${seconds.toFixed(0)} s on the onnx backend.

Test accuracy: **${(100 * accuracy).toFixed(2)} %** (10 000 test images).

Files: classifier.safetensors (parameters), classifier.onnx (input "image" [B, 784] in [−1, 1];
outputs "logits" [B, 10] and "features" [B, 128], the classifier-feature FID space).
`;
  await writeFileAtomic(`${args.out}/classifier_report.md`, new TextEncoder().encode(report));
  console.log(report);
  console.log(`classifier_test_accuracy=${(100 * accuracy).toFixed(2)}`);
}

if (mode === "train") {
  const args = parseArgs({
    args: rest,
    options: {
      steps: { type: "string", default: "7000" },
      batch: { type: "string", default: "64" },
      channels: { type: "string", default: "16,32,64" },
      "consistency-fraction": { type: "string", default: "0.25" },
      lr: { type: "string", default: "0.001" },
      seed: { type: "string", default: "0" },
      out: { type: "string", default: "out/mnist" },
      resume: { type: "boolean", default: false },
    },
    strict: true,
  }).values;
  const channels = args.channels.split(",").map(Number);
  let config;
  try {
    config = resolveConfig({
      steps: Number(args.steps),
      batch: Number(args.batch),
      lr: Number(args.lr),
      seed: Number(args.seed),
      consistencyFraction: Number(args["consistency-fraction"]),
      emaDecay: 0.999,
      checkpointEvery: 250,
    }, "mnist:train");
  } catch (e) {
    fail((e as Error).message);
  }
  const netOptions = { side: 28, channels, fourier: 16, attention: false, embedDim: 64 };
  let net;
  try {
    net = mfmUNetConfig(netOptions);
  } catch (e) {
    fail((e as Error).message);
  }
  const train = loadMnistSync("train");
  const result = await trainMfm(config!, {
    dim: 784,
    sampleData: (k, n) =>
      mnistImages(train, Array.from(uniformArray(k, n), (u) => Math.floor(u * train.count)))
        .images.reshape([n, 784]),
  }, {
    outDir: args.out,
    resume: args.resume,
    model: {
      init: (k) => initMfmUNet(k, net!),
      velocity: (p) => mfmUNetVelocity(net!, p as MfmUNetParams),
    },
  });
  const count = namedLeaves(result.state.ema).reduce((a, [, t]) => a + t.size, 0);
  await saveSafetensors(`${args.out}/mfm.safetensors`, result.state.ema);
  await writeFileAtomic(
    `${args.out}/mfm.json`,
    new TextEncoder().encode(
      JSON.stringify({ net: netOptions, parameters: count, config, steps: result.step }, null, 2) +
        "\n",
    ),
  );
  await savePng(
    `${args.out}/loss.png`,
    linePlot("MNIST MFM loss", [
      {
        label: "diagonal",
        color: "#c33",
        xs: result.losses.map((l) => l.step),
        ys: result.losses.map((l) => l.diagonal),
      },
      {
        label: "consistency",
        color: "#36c",
        xs: result.losses.map((l) => l.step),
        ys: result.losses.map((l) => l.consistency),
      },
    ], true),
  );
  console.log(
    `UNet MFM: ${count} parameters, ${result.stepsPerSecond.toFixed(2)} steps/s; wrote ` +
      `${args.out}/mfm.safetensors, mfm.json, loss.png (copy them to ${MNIST_CHECKPOINT_DIR} to ` +
      `commit)`,
  );
}
