/**
 * The MNIST classifier: a small CNN (four 3×3 convolutions, two of them stride 2, then a 128-wide
 * dense layer) trained with Adam on the 60k training images. It is the reward of the steering
 * experiment (through its ONNX export and the importer), the judge of sample classes, and its
 * 128-d penultimate features are the space of the classifier-feature FID.
 *
 * @module
 */

import {
  adam,
  argmax,
  conv2dLayer,
  type Conv2dParams,
  epochBatches,
  foldIn,
  initConv2d,
  initLinear,
  jit,
  type Key,
  key,
  linear,
  type LinearParams,
  logsumexp,
  mnistImages,
  type MnistSplit,
  relu,
  split,
  sum,
  type Tensor,
  tensor,
  treeMap,
  valueAndGrad,
} from "../../mod.ts";

/** Classifier parameters. */
export type ClassifierParams = {
  readonly c1: Conv2dParams;
  readonly c2: Conv2dParams;
  readonly c3: Conv2dParams;
  readonly c4: Conv2dParams;
  readonly fc: LinearParams;
  readonly head: LinearParams;
};

/**
 * Initial parameters.
 *
 * @example
 * ```ts
 * const p = initClassifier(key(0));
 * ```
 */
export function initClassifier(k: Key): ClassifierParams {
  const ks = split(k, 6);
  return {
    c1: initConv2d(ks[0], 1, 32, 3),
    c2: initConv2d(ks[1], 32, 32, 3),
    c3: initConv2d(ks[2], 32, 64, 3),
    c4: initConv2d(ks[3], 64, 64, 3),
    fc: initLinear(ks[4], 64 * 7 * 7, 128, { init: "he_normal" }),
    head: initLinear(ks[5], 128, 10),
  };
}

/**
 * The 128-d penultimate features of images `[N, 784]` or `[N, 1, 28, 28]` in [−1, 1].
 *
 * @example
 * ```ts
 * const f = classifierFeatures(p, images); // [N, 128]
 * ```
 */
export function classifierFeatures(p: ClassifierParams, x: Tensor): Tensor {
  const n = x.shape[0];
  let h = relu(conv2dLayer(p.c1, x.reshape([n, 1, 28, 28])));
  h = relu(conv2dLayer(p.c2, h, { stride: 2 }));
  h = relu(conv2dLayer(p.c3, h));
  h = relu(conv2dLayer(p.c4, h, { stride: 2 }));
  return relu(linear(p.fc, h.reshape([n, 64 * 7 * 7])));
}

/**
 * Class logits `[N, 10]`.
 *
 * @example
 * ```ts
 * const logits = classifierLogits(p, images);
 * ```
 */
export function classifierLogits(p: ClassifierParams, x: Tensor): Tensor {
  return linear(p.head, classifierFeatures(p, x));
}

/** Mean cross-entropy of logits `[N, 10]` against one-hot labels `[N, 10]`. */
function crossEntropy(logits: Tensor, onehot: Tensor): Tensor {
  return logsumexp(logits, -1).sub(sum(logits.mul(onehot), -1)).mean();
}

function oneHot(labels: ArrayLike<number>): Tensor {
  const out = new Float32Array(labels.length * 10);
  for (let i = 0; i < labels.length; i++) out[i * 10 + labels[i]] = 1;
  return tensor(out, { shape: [labels.length, 10] });
}

/**
 * Accuracy and predicted labels of a classifier on a split (in chunks).
 *
 * @example
 * ```ts
 * const { accuracy } = evaluateClassifier(p, test);
 * ```
 */
export function evaluateClassifier(
  p: ClassifierParams,
  data: MnistSplit,
  chunk = 1000,
): { accuracy: number; predictions: Int32Array } {
  const f = jit((q: ClassifierParams, x: Tensor) => argmax(classifierLogits(q, x), -1));
  const predictions = new Int32Array(data.count);
  let correct = 0;
  for (let i = 0; i < data.count; i += chunk) {
    const idx = Array.from({ length: Math.min(chunk, data.count - i) }, (_, j) => i + j);
    const pred = f(p, mnistImages(data, idx).images).dataSync();
    for (let j = 0; j < idx.length; j++) {
      predictions[i + j] = pred[j];
      if (pred[j] === data.labels[i + j]) correct++;
    }
  }
  return { accuracy: correct / data.count, predictions };
}

/** Options of `trainClassifier`. */
export interface ClassifierTrainOptions {
  /** Epochs; default 3. */
  epochs?: number;
  /** Batch; default 128. */
  batch?: number;
  /** Adam learning rate (cosine-decayed to 5 % by the end); default 2e-3. */
  lr?: number;
  /** Seed; default 0. */
  seed?: number;
  /** Use only the first `limit` training images (tests). */
  limit?: number;
  /** Called after every step with the step and the total. */
  onStep?: (step: number, total: number, loss: () => number) => void;
}

/**
 * Trains the classifier with Adam and cross-entropy on shuffled epochs.
 *
 * @example
 * ```ts
 * const params = trainClassifier(loadMnistSync("train"), { epochs: 3 });
 * ```
 */
export function trainClassifier(
  data: MnistSplit,
  opts: ClassifierTrainOptions = {},
): ClassifierParams {
  const epochs = opts.epochs ?? 3;
  const batch = opts.batch ?? 128;
  const count = Math.min(opts.limit ?? data.count, data.count);
  const root = key(opts.seed ?? 0);
  const [kInit, kData] = split(root);
  const perEpoch = Math.floor(count / batch);
  const total = epochs * perEpoch;
  const lr0 = opts.lr ?? 2e-3;
  // cosine decay: lr is an input of the compiled step, so it changes without recompiling
  const opt = adam({ lr: 1, warmupSteps: 0 });
  let params = initClassifier(kInit);
  let state = opt.init(params);
  const step = jit(
    (p: ClassifierParams, s: typeof state, x: Tensor, y: Tensor, lr: Tensor) => {
      const { value, grad } = valueAndGrad((q: ClassifierParams) =>
        crossEntropy(classifierLogits(q, x), y)
      )(p);
      // Adam with lr 1 gives the unit step; the scheduled lr scales it (Adam ignores the
      // gradient's scale, so the schedule cannot go into the gradient)
      const upd = opt.update(grad, s, p);
      const next = treeMap((a, b) => a.add(b.sub(a).mul(lr)), p, upd.params);
      return { params: next, state: upd.state, loss: value };
    },
  );
  let i = 0;
  for (let e = 0; e < epochs; e++) {
    for (const idx of epochBatches(foldIn(kData, e), count, batch)) {
      const { images, labels } = mnistImages(data, idx);
      const lr = lr0 * (0.05 + 0.95 * 0.5 * (1 + Math.cos((Math.PI * i) / total)));
      const r = step(params, state, images, oneHot(labels), tensor([lr]));
      params = r.params;
      state = r.state;
      i++;
      opts.onStep?.(i, total, () => r.loss.item());
    }
  }
  return params;
}
