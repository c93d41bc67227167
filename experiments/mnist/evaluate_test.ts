// MNIST evaluation pieces against closed forms and against the committed classifier: the PMF
// floor by simulation, the real test images' classes, and the ONNX reward's gradient equal to
// the gradient of the same classifier written in mfm ops.
import assert from "assert";
import "../../backends/mod.ts";
import {
  assertAllClose,
  classifierMixtureReward,
  flowMapOf,
  flowSegment,
  foldIn,
  grad,
  key,
  loadMnistSync,
  mnistImages,
  normal,
  setBackend,
  split,
  type Tensor,
  tensor,
  uniformArray,
} from "../../mod.ts";
import { onnxReward } from "../../rewards/mod.ts";
import { classifierLogits } from "./classifier.ts";
import { loadClassifier, MNIST_CHECKPOINT_DIR } from "./checkpoint.ts";
import {
  classify,
  pmfFloor,
  pmfL2,
  pmfL2Debiased,
  pmfL2Spread,
  realImages,
  sampleImages,
  tiltedPmf,
} from "./evaluate.ts";

const TARGET = [0, 0.1, 0, 0.1, 0, 0.2, 0, 0.2, 0, 0.4];

Deno.test("pmfL2 and its sampling floor: closed form against simulated draws", () => {
  assert.equal(pmfL2(TARGET, TARGET.map((w) => 2 * w)), 0); // weights are normalised
  assert.ok(Math.abs(pmfL2([1, 0, 0, 0, 0, 0, 0, 0, 0, 0], TARGET) - Math.sqrt(1 + 0.26)) < 1e-12);
  // mean squared L2 of n exact draws is Σ p(1 − p)/n: compare the floor with 400 simulated PMFs
  const n = 256;
  const cum = TARGET.map((_, i) => TARGET.slice(0, i + 1).reduce((a, b) => a + b, 0));
  let ms = 0;
  for (let r = 0; r < 400; r++) {
    const pmf = new Array(10).fill(0);
    for (const u of uniformArray(key(r), n)) pmf[cum.findIndex((c) => u < c)] += 1 / n;
    ms += pmfL2(pmf, TARGET) ** 2 / 400;
  }
  assert.ok(Math.abs(Math.sqrt(ms) - pmfFloor(TARGET, n)) < 0.004, `${Math.sqrt(ms)}`);
});

Deno.test("pmfL2Debiased: its square is unbiased for the law's squared L2 to w (simulated draws)", () => {
  // draws from p (not w): the raw squared L2 is biased up by Σ p(1 − p)/n, the debiased one is not
  const p = [0.03, 0.08, 0.01, 0.14, 0.02, 0.17, 0.01, 0.18, 0.02, 0.34];
  const truth = pmfL2(p, TARGET) ** 2;
  const n = 128;
  const cum = p.map((_, i) => p.slice(0, i + 1).reduce((a, b) => a + b, 0));
  let [raw, debiased, meanL2] = [0, 0, 0];
  const reps = 2000;
  for (let r = 0; r < reps; r++) {
    const pmf = new Array(10).fill(0);
    for (const u of uniformArray(key(1000 + r), n)) {
      const c = cum.findIndex((c) => u < c);
      pmf[c < 0 ? 9 : c] += 1 / n; // u above a rounded cum[9]
    }
    raw += pmfL2(pmf, TARGET) ** 2 / reps;
    debiased += pmfL2Debiased(pmf, TARGET, n) ** 2 / reps;
    meanL2 += pmfL2Debiased(pmf, TARGET, n) / reps;
  }
  const bias = p.reduce((a, q) => a + q * (1 - q), 0) / n; // ≈ 0.0063 against truth ≈ 0.0079
  assert.ok(Math.abs(raw - truth - bias) < 6e-4, `raw ${raw} truth ${truth} bias ${bias}`);
  assert.ok(Math.abs(debiased - truth) < 6e-4, `debiased ${debiased} truth ${truth}`);
  // the bootstrap spread at the true law matches the spread over the simulated experiments
  const sd = Math.sqrt(debiased - meanL2 ** 2);
  const boot = pmfL2Spread(p, TARGET, n, key(7), 400);
  assert.ok(Math.abs(boot / sd - 1) < 0.12, `bootstrap ${boot} simulated ${sd}`);
  assert.equal(pmfL2Debiased(TARGET, TARGET, 10), 0); // clipped at 0, never NaN
  assert.throws(() => pmfL2Debiased(p, TARGET, 1), /n 1 must be a sample size > 1/);
});

Deno.test("tiltedPmf: one-hot classes give w_c·q_c normalised; soft ones weigh each image by Σ w_k p(k|x)", () => {
  // counts q = 1..10 per class, each image classified with certainty
  const classes = Int32Array.from({ length: 55 }, (_, i) => {
    let c = 0;
    while (((c + 1) * (c + 2)) / 2 <= i) c++;
    return c;
  });
  const probs = new Float32Array(55 * 10);
  classes.forEach((c, i) => probs[i * 10 + c] = 1);
  const oneHot = { classes, probs, confidence: new Float32Array(55).fill(1), pmf: [] };
  const { pmf, ess } = tiltedPmf(oneHot, TARGET);
  const z = TARGET.reduce((a, w, c) => a + w * (c + 1), 0);
  assertAllClose(pmf, TARGET.map((w, c) => (w * (c + 1)) / z), { atol: 1e-12 });
  const ws = Array.from(classes, (c) => TARGET[c]);
  const sum = ws.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(ess - sum ** 2 / ws.reduce((a, b) => a + b * b, 0)) < 1e-9);
  // two soft images: weights 0.1·0.6 + 0.4·0.4 = 0.22 (class 1) and 0.2·0.5 = 0.1 (class 5)
  const soft = new Float32Array(20);
  [soft[1], soft[9], soft[15], soft[14]] = [0.6, 0.4, 0.5, 0.5];
  const two = tiltedPmf(
    { classes: Int32Array.from([1, 5]), probs: soft, confidence: new Float32Array(2), pmf: [] },
    TARGET,
  );
  assertAllClose(two.pmf, [0, 0.22 / 0.32, 0, 0, 0, 0.1 / 0.32, 0, 0, 0, 0], { atol: 1e-6 });
  assert.throws(() => tiltedPmf(oneHot, [1, 2]), /10 non-negative numbers/);
});

Deno.test("committed classifier: real test images are classified right; the ONNX reward's gradient is the classifier's", async () => {
  setBackend("onnx");
  try {
    const clf = await loadClassifier();
    const test = loadMnistSync("test");
    const { classes, confidence } = classify(clf, realImages(test, 300));
    const right = classes.filter((c, i) => c === test.labels[i]).length;
    assert.ok(right >= 295, `${right} of the first 300 test images`);
    assert.ok(confidence.filter((c) => c >= 0.9).length >= 290);
    const viaOnnx = await onnxReward(`${MNIST_CHECKPOINT_DIR}/classifier.onnx`, {
      classWeights: TARGET,
    });
    const direct = classifierMixtureReward((x) => classifierLogits(clf, x), TARGET);
    const x = mnistImages(test, [0, 1, 2, 3]).images.reshape([4, 784]);
    assertAllClose(viaOnnx.reward(x).dataSync(), direct.reward(x).dataSync(), {
      rtol: 1e-4,
      atol: 1e-4,
    });
    const g1 = grad((y: Tensor) => viaOnnx.reward(y).sum())(x).dataSync();
    const g2 = grad((y: Tensor) => direct.reward(y).sum())(x).dataSync();
    assertAllClose(g1, g2, { rtol: 1e-3, atol: 1e-5 });
  } finally {
    setBackend("cpu");
  }
});

Deno.test("sampleImages: Algorithm 1 in chunks is exact for a known posterior map", () => {
  setBackend("onnx");
  try {
    // the MFM of a point mass at c: X_{0,1}(ε; t, x) = c for every ε, t, x (velocity c − x)
    const c = realImages(loadMnistSync("test"), 1);
    const point = flowMapOf((_s, _u, x) =>
      x.mul(-1).add(x.mul(0).add(tensor(c, { shape: [1, 784] })))
    );
    for (const steps of [1, 3]) {
      const x = sampleImages(point, steps, key(1), 5, 2);
      for (let i = 0; i < 5; i++) {
        assertAllClose(x.subarray(i * 784, (i + 1) * 784), c, { rtol: 1e-5, atol: 1e-5 });
      }
    }
  } finally {
    setBackend("cpu");
  }
});

Deno.test("sampleImages: the flow sampler chains exact segments of a point mass to it", () => {
  setBackend("onnx");
  try {
    // the exact flow map of a point mass at c on the linear path: X_{s,u}(x) = c + (1−u)/(1−s)(x − c)
    const c = realImages(loadMnistSync("test"), 1);
    const point = flowMapOf((s, _u, x) => {
      const d = x.mul(0).add(tensor(c, { shape: [1, 784] })).sub(x);
      return d.div(s.neg().add(1).reshape([-1, 1]));
    });
    for (const steps of [1, 3]) {
      const x = sampleImages(point, steps, key(2), 5, 2, "flow");
      for (let i = 0; i < 5; i++) {
        assertAllClose(x.subarray(i * 784, (i + 1) * 784), c, { rtol: 1e-4, atol: 1e-4 });
      }
    }
    // a map that is not exact gives something else: the test can fail
    const euler = flowMapOf((_s, _u, x) => x.mul(0).add(tensor(c, { shape: [1, 784] })).sub(x));
    const y = sampleImages(euler, 3, key(2), 5, 2, "flow");
    const err = Math.max(...y.subarray(0, 784).map((v, j) => Math.abs(v - c[j])));
    assert.ok(err > 0.05, `Euler-like segments should miss c (max error ${err})`);
    assert.throws(() => sampleImages(point, 2, key(2), 5, 2, "heun" as never), /sampler "heun"/);
    // the t = 0 context is an N(0, I) draw per trajectory from its own key, independent of the
    // starting noise: a velocity equal to the context moves the start by exactly that draw (a
    // zero context would leave it where it started)
    const still = sampleImages(flowMapOf((_s, _u, x) => x.mul(0)), 3, key(4), 4, 2, "flow");
    const ctx = sampleImages(flowMapOf((_s, _u, _x, _t, xt) => xt), 3, key(4), 4, 2, "flow");
    const drawn = [0, 2].flatMap((i) =>
      Array.from(normal(split(foldIn(key(4), i), 2 * 3 + 2)[7], [2, 784]).dataSync())
    );
    assertAllClose(ctx, still.map((v, j) => v + drawn[j]), { rtol: 1e-5, atol: 1e-5 }, "context");
    const corr = drawn.reduce((a, v, j) => a + v * still[j], 0) / drawn.length;
    assert.ok(Math.abs(corr) < 0.05, `context independent of the start (correlation ${corr})`);
    const z = tensor(new Float32Array(2 * 784), { shape: [2, 784] });
    assert.throws(
      () => flowSegment(point, tensor([0, 0]), 0.5, z, z.reshape([1, 1568])),
      /x0 has shape \[1,1568\], expected the state's shape \[2,784\]/,
    );
  } finally {
    setBackend("cpu");
  }
});
