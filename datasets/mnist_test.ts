import assert from "assert";
import "@mfm/backends/cpu";
import { key } from "@mfm/tensor";
import { epochBatches, loadMnist, mnistImages, parseIdxImages, parseIdxLabels } from "./mnist.ts";

function idx(magic: number, dims: number[], body: number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, magic);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  out.set(body, 4 + 4 * dims.length);
  return out;
}

Deno.test("IDX parsing: a good file and every kind of bad one, named", () => {
  const good = parseIdxImages(idx(2051, [2, 2, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), "x");
  assert.deepEqual([good.count, good.rows, good.cols], [2, 2, 3]);
  assert.equal(good.pixels[11], 11);
  assert.throws(() => parseIdxImages(new Uint8Array(5), "f"), /f: 5 bytes is shorter/);
  assert.throws(
    () => parseIdxImages(idx(2049, [1, 1, 1], [0]), "f"),
    /magic number 2049 is not 2051/,
  );
  assert.throws(() => parseIdxImages(idx(2051, [2, 2, 2], [0, 0]), "f"), /18 bytes, expected 24/);
  assert.deepEqual([...parseIdxLabels(idx(2049, [3], [7, 2, 1]), "l")], [7, 2, 1]);
  assert.throws(() => parseIdxLabels(idx(2049, [2], [3, 12]), "l"), /label 12 at 1 is not a digit/);
  assert.throws(() => parseIdxLabels(idx(2049, [4], [3]), "l"), /9 bytes, expected 12/);
});

Deno.test("MNIST: the shipped test split, its known first labels, scaling and batches", async () => {
  const test = await loadMnist("test");
  assert.equal(test.count, 10000);
  assert.deepEqual([...test.labels.subarray(0, 10)], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
  const counts = new Array(10).fill(0);
  for (const l of test.labels) counts[l]++;
  assert.deepEqual(counts, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  const { images, labels } = mnistImages(test, [0, 1]);
  assert.deepEqual(images.shape, [2, 1, 28, 28]);
  assert.deepEqual([...labels], [7, 2]);
  const px = images.dataSync();
  assert.ok(px.every((v) => v >= -1 && v <= 1));
  assert.equal(Math.min(...px), -1); // background
  const batches = epochBatches(key(0), 10, 3);
  assert.equal(batches.length, 3);
  assert.equal(new Set(batches.flatMap((b) => [...b])).size, 9);
  assert.deepEqual(epochBatches(key(0), 10, 3), batches);
  assert.throws(() => mnistImages(test, [10000]), /index 10000 is outside \[0, 10000\)/);
  await assert.rejects(() => loadMnist("test", "/nonexistent"), /cannot read \/nonexistent/);
});
