// deno task mnist:classifier — train the MNIST CNN (≥ 99 % test accuracy), save it as
//   checkpoints/mnist/classifier.safetensors and classifier.onnx (logits, then the 128-d features).
// deno task mnist:train — train the UNet MFM (resumable: --resume), writes out/mnist/.
// deno task mnist:eval — unconditional samples: classifier-feature FID vs the real-data floor,
//   confidence of 4-step samples, PNG grids.
// (deno task mnist:steer is tasks/mnist_steer.ts.)
import "../backends/mod.ts";
import { parseArgs } from "cli-args";
import {
  exportOnnx,
  imageGridPng,
  initMfmUNet,
  key,
  loadMnistSync,
  lossCurves,
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
  type Tree,
  uniformArray,
  writeFileAtomic,
} from "../mod.ts";
import {
  ProgressBar,
  readLossHistory,
  resolveConfig,
  type TrainConfig,
  trainMfm,
} from "../train/mod.ts";

import {
  classifierFeatures,
  classifierLogits,
  evaluateClassifier,
  trainClassifier,
} from "../experiments/mnist/classifier.ts";
import {
  loadClassifier,
  loadMnistMfm,
  MNIST_CHECKPOINT_DIR,
} from "../experiments/mnist/checkpoint.ts";
import {
  classifierFid,
  classify,
  features,
  type ImageSampler,
  realImages,
  sampleImages,
} from "../experiments/mnist/evaluate.ts";

const [mode, ...rest] = Deno.args;
const fail = (msg: string): never => {
  console.error(`mnist:${mode ?? "?"}: ${msg}`);
  Deno.exit(2);
};
const MODES = ["classifier", "train", "eval"];
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
      "gate-context": { type: "string", default: "false" },
      lr: { type: "string", default: "0.001" },
      "lr-decay": { type: "string", default: "none" },
      "lr-decay-start": { type: "string", default: "0" },
      "lr-final": { type: "string", default: "0" },
      seed: { type: "string", default: "0" },
      out: { type: "string", default: "out/mnist" },
      resume: { type: "boolean", default: false },
    },
    strict: true,
  }).values;
  const channels = args.channels.split(",").map(Number);
  let config: TrainConfig;
  try {
    config = resolveConfig({
      steps: Number(args.steps),
      batch: Number(args.batch),
      lr: Number(args.lr),
      lrDecay: args["lr-decay"],
      lrDecayStart: Number(args["lr-decay-start"]),
      lrFinal: Number(args["lr-final"]),
      seed: Number(args.seed),
      consistencyFraction: Number(args["consistency-fraction"]),
      emaDecay: 0.999,
      checkpointEvery: 250,
    }, "mnist:train");
  } catch (e) {
    fail((e as Error).message);
  }
  if (!["true", "false"].includes(args["gate-context"])) {
    fail(`--gate-context ${args["gate-context"]} must be true or false`);
  }
  const gateContext = args["gate-context"] === "true";
  const netOptions = {
    side: 28,
    channels,
    fourier: 16,
    attention: false,
    embedDim: 64,
    gateContext,
  };
  if (args.resume) {
    // the gate changes no parameter shapes, so a gated run can be resumed ungated (a warm start)
    const previous = await Deno.readTextFile(`${args.out}/mfm.json`).then(
      (t) => (JSON.parse(t) as { net?: { gateContext?: boolean } }).net?.gateContext ?? true,
      () => undefined,
    );
    if (previous !== undefined && previous !== gateContext) {
      console.log(
        `mnist:train: resuming a ${previous ? "gated" : "ungated"} MFM as ${
          gateContext ? "gated" : "ungated"
        } (--gate-context ${gateContext}): a warm start`,
      );
    }
  }
  let net;
  try {
    net = mfmUNetConfig(netOptions);
  } catch (e) {
    fail((e as Error).message);
  }
  const train = loadMnistSync("train");
  // the EMA weights and their config at every checkpoint, not only at the end: a long run can be
  // evaluated (mnist:eval --checkpoint <out>) while it trains, and a kill keeps a usable model
  let parameters = 0;
  const exportModel = async (ema: Tree, step: number) => {
    parameters = namedLeaves(ema).reduce((a, [, t]) => a + t.size, 0);
    await saveSafetensors(`${args.out}/mfm.safetensors`, ema);
    await writeFileAtomic(
      `${args.out}/mfm.json`,
      new TextEncoder().encode(
        JSON.stringify({ net: netOptions, parameters, config, steps: step }, null, 2) + "\n",
      ),
    );
  };
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
    onCheckpoint: (state, step) => exportModel(state.ema, step),
  });
  // the whole history, across resumes (losses.jsonl), not only this process's part
  const history = await readLossHistory(args.out, result.step);
  if (history.length > 0) {
    await savePng(`${args.out}/loss.png`, lossCurves("MNIST MFM loss", history));
  }
  console.log(
    `UNet MFM: ${parameters} parameters, ${
      result.stepsPerSecond > 0
        ? `${result.stepsPerSecond.toFixed(2)} steps/s`
        : `no steps run (the checkpoint is at step ${result.step})`
    }; wrote ` +
      `${args.out}/mfm.safetensors, mfm.json, loss.png (copy them to ${MNIST_CHECKPOINT_DIR} to ` +
      `commit)`,
  );
}

if (mode === "eval") {
  const args = parseArgs({
    args: rest,
    options: {
      checkpoint: { type: "string", default: MNIST_CHECKPOINT_DIR },
      n: { type: "string", default: "2000" },
      seed: { type: "string", default: "0" },
      out: { type: "string", default: "out/mnist" },
    },
    strict: true,
  }).values;
  const [n, seed] = [Number(args.n), Number(args.seed)];
  if (!Number.isInteger(n) || n < 200 || !Number.isInteger(seed) || seed < 0) {
    fail(`--n ${args.n} must be an integer ≥ 200, --seed ${args.seed} ≥ 0`);
  }
  const { mfm } = await loadMnistMfm(args.checkpoint).catch((e) =>
    fail(`cannot load the MFM from ${args.checkpoint}: ${(e as Error).message}`)
  );
  const clf = await loadClassifier();
  const test = loadMnistSync("test");
  const train = loadMnistSync("train");
  const reference = features(clf, realImages(test, 10000));
  const realTrain = realImages(train, n);
  const floor = classifierFid(clf, realTrain, reference);
  // the same columns for real images: what the confidence target means on the data itself
  const real = classify(clf, realTrain);
  const realConfident = real.confidence.filter((c) => c >= 0.9).length / n;
  const rows: string[] = [
    `| — | real training images | ${floor.toFixed(2)} | ${(100 * realConfident).toFixed(1)} % | ${
      real.pmf.map((p) => p.toFixed(3)).join(" ")
    } | — |`,
  ];
  const grids: number[][][] = [];
  const metrics: Record<string, number> = {};
  const settings: { sampler: ImageSampler; steps: number }[] = [
    { sampler: "refine", steps: 1 },
    { sampler: "refine", steps: 2 },
    { sampler: "refine", steps: 4 },
    { sampler: "flow", steps: 2 },
    { sampler: "flow", steps: 4 },
    { sampler: "flow", steps: 8 },
    // many short segments ≈ the model's own ODE: the ceiling no few-step sampler of it can pass
    { sampler: "flow", steps: 64 },
  ];
  const labels: string[] = [];
  for (const { sampler, steps } of settings) {
    const t0 = performance.now();
    const x = sampleImages(mfm, steps, key(seed * 10 + steps), n, 250, sampler);
    const seconds = (performance.now() - t0) / 1000;
    const fid = classifierFid(clf, x, reference);
    const { confidence, pmf } = classify(clf, x);
    const confident = confidence.filter((c) => c >= 0.9).length / n;
    const tag = sampler === "refine" ? `${steps}` : `flow${steps}`;
    metrics[`fid${tag}`] = fid;
    metrics[`conf90_${tag}`] = confident;
    rows.push(
      `| ${steps} | ${sampler === "refine" ? "Algorithm 1" : "flow segments"} | ${
        fid.toFixed(2)
      } | ${(100 * confident).toFixed(1)} % | ${pmf.map((p) => p.toFixed(3)).join(" ")} | ${
        (seconds / n * 1000).toFixed(2)
      } |`,
    );
    for (let r = 0; r < 4; r++) {
      labels.push(r === 0 ? `${steps}-step ${sampler}` : "");
      grids.push(
        Array.from(
          { length: 12 },
          (_, c) => Array.from(x.subarray((r * 12 + c) * 784, (r * 12 + c + 1) * 784)),
        ),
      );
    }
  }
  await Deno.mkdir(args.out, { recursive: true });
  await imageGridPng(`${args.out}/samples.png`, grids, {
    height: 28,
    width: 28,
    scale: 2,
    rowLabels: labels,
  });
  const report = `# MNIST MFM: unconditional samples

${n} samples per row by Algorithm 1 (K-step refinement on the linear path: a one-step posterior
draw from x_{t_k}, re-noised to t_{k+1}) or by the MFM's deterministic flow segments
X_{t_k,t_{k+1}}(x; 0, x₀) from the noise (MATH-core (50)), x₀ ~ N(0, I) a t = 0 context drawn once
per sample, independent of its state (as the ungated MFM was trained). FID: Fréchet
distance of the classifier's 128-d penultimate features against the 10 000 test images. Floor:
${n} real training images against the same test images, **${floor.toFixed(2)}**. The 64 flow
segments come close to the model's own ODE: what no few-step sampler of this model can pass.

| steps | sampler | classifier-feature FID | samples with confidence ≥ 0.9 | class PMF (0–9) | ms per sample |
|---:|---|---:|---:|---|---:|
${rows.join("\n")}

![samples](samples.png)
`;
  await writeFileAtomic(`${args.out}/eval_report.md`, new TextEncoder().encode(report));
  console.log(report);
  console.log(
    `fid1=${metrics.fid1.toFixed(2)} fid2=${metrics.fid2.toFixed(2)} fid4=${
      metrics.fid4.toFixed(2)
    } fid_floor=${floor.toFixed(2)} conf90_real=${(100 * realConfident).toFixed(1)} conf90_4=${
      (100 * metrics.conf90_4).toFixed(1)
    } fid_flow4=${metrics.fidflow4.toFixed(2)} conf90_flow4=${
      (100 * metrics.conf90_flow4).toFixed(1)
    } conf90_flow64=${(100 * metrics.conf90_flow64).toFixed(1)}`,
  );
}
