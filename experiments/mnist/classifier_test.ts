// The classifier learns on a slice: a few dozen Adam steps on 1024 training images classify
// held-out test images far above chance; its ONNX export matches it through the importer.
import assert from "assert";
import "../../backends/mod.ts";
import {
  assertAllClose,
  exportOnnx,
  importOnnx,
  key,
  loadMnistSync,
  mnistImages,
  normal,
  setBackend,
  type Tensor,
} from "../../mod.ts";
import {
  classifierFeatures,
  classifierLogits,
  evaluateClassifier,
  initClassifier,
  trainClassifier,
} from "./classifier.ts";

Deno.test("MNIST classifier: learns on a slice, and its ONNX export is the same function", async () => {
  setBackend("onnx");
  try {
    const train = loadMnistSync("train");
    const test = loadMnistSync("test");
    const losses: number[] = [];
    const p = trainClassifier(train, {
      epochs: 2,
      batch: 64,
      limit: 1024,
      onStep: (i, _t, loss) => {
        if (i === 1 || i % 8 === 0) losses.push(loss());
      },
    });
    assert.ok(losses.at(-1)! < losses[0] * 0.6, `loss ${losses[0]} → ${losses.at(-1)}`);
    const slice = {
      ...test,
      count: 1000,
      pixels: test.pixels.subarray(0, 784000),
      labels: test.labels.subarray(0, 1000),
    };
    const { accuracy } = evaluateClassifier(p, slice);
    assert.ok(accuracy > 0.6, `accuracy on 1000 test images after 32 steps: ${accuracy}`);
    // export both heads and read them back through the importer
    const dir = await Deno.makeTempDir();
    const q = initClassifier(key(3));
    await exportOnnx(
      (x: Tensor) => [classifierLogits(q, x), classifierFeatures(q, x)],
      [normal(key(4), [100, 784])],
      `${dir}/c.onnx`,
      { dynamicBatch: true },
    );
    const m = await importOnnx(`${dir}/c.onnx`);
    const x = mnistImages(test, [5, 6, 7]).images.reshape([3, 784]);
    const [logits, feats] = m.call(x);
    assertAllClose(logits.dataSync(), classifierLogits(q, x).dataSync(), {
      rtol: 1e-4,
      atol: 1e-4,
    });
    assertAllClose(feats.dataSync(), classifierFeatures(q, x).dataSync(), {
      rtol: 1e-4,
      atol: 1e-4,
    });
    await Deno.remove(dir, { recursive: true });
  } finally {
    setBackend("cpu");
  }
});
