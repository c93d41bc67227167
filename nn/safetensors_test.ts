import assert from "assert";
import "@mfm/backends/cpu";
import { key, normal, type Tensor, tensor } from "@mfm/tensor";
import {
  decodeSafetensors,
  encodeSafetensors,
  initMlp,
  loadParams,
  loadSafetensors,
  saveSafetensors,
} from "@mfm/nn";

const enc = (s: string) => new TextEncoder().encode(s);

/** A file from a header object and a data section, laid out by hand. */
function handMade(header: unknown, data: Uint8Array, headerLen?: number): Uint8Array {
  const h = enc(JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen ?? h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

Deno.test("round trip is bit-exact for every dtype, special values and metadata", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/m.safetensors`;
  const tree = {
    f32: tensor(new Float32Array([NaN, -0, Infinity, 1e-45, 3.4e38])),
    f64: normal(key(0), [3, 2], { dtype: "float64" }),
    i32: tensor([-2147483648, 2147483647, 0], { dtype: "int32" }),
    mask: tensor([1, 0, 1], { dtype: "bool" }),
    nested: [{ w: tensor([[1, 2]]) }],
  };
  await saveSafetensors(path, tree, { step: "7" });
  const { tensors, metadata } = await loadSafetensors(path);
  assert.deepEqual(metadata, { step: "7" });
  assert.deepEqual(Object.keys(tensors).sort(), ["f32", "f64", "i32", "mask", "nested.0.w"]);
  const bits = (t: Tensor) => new Uint8Array(t.dataSync().buffer.slice(0));
  assert.deepEqual(bits(tensors.f32), bits(tree.f32));
  assert.deepEqual(bits(tensors.f64), bits(tree.f64));
  assert.deepEqual(tensors.i32.toArray(), [-2147483648, 2147483647, 0]);
  assert.equal(tensors.mask.dtype, "bool");
  assert.deepEqual(tensors["nested.0.w"].shape, [1, 2]);
  // atomic write: nothing but the file itself is left
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["m.safetensors"]);
  // header is padded to a multiple of 8
  const bytes = await Deno.readFile(path);
  assert.equal(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8, 0);
});

Deno.test("reads a file laid out by hand per the format", () => {
  const data = new Uint8Array(new Float32Array([1.5, -2]).buffer);
  const f = handMade({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }, data);
  const { tensors } = decodeSafetensors(f);
  assert.deepEqual(Array.from(tensors.a.data), [1.5, -2]);
  assert.deepEqual(encodeSafetensors({}).length, 8 + 8); // "{}" padded to 8
});

Deno.test("each kind of bad file is rejected with a message naming the problem", () => {
  const d8 = new Uint8Array(8);
  const ok = { dtype: "F32", shape: [2], data_offsets: [0, 8] };
  const cases: [Uint8Array, RegExp][] = [
    [new Uint8Array(5), /truncated: 5 bytes/],
    [handMade({ a: ok }, d8, 1000), /header length 1000 exceeds/],
    [
      (() => {
        const f = handMade({ a: ok }, d8);
        f[9] = 0x7b; // corrupt the JSON
        f[10] = 0x7b;
        return f;
      })(),
      /header is not valid JSON/,
    ],
    [handMade({ a: { ...ok, dtype: "F16" } }, d8), /tensor "a": dtype "F16" is not supported/],
    [handMade({ a: { ...ok, shape: [-1] } }, d8), /tensor "a": shape \[-1\]/],
    [
      handMade({ a: { ...ok, data_offsets: [0, 16] } }, d8),
      /tensor "a": data ends at byte 16 but the data section has 8 bytes/,
    ],
    [
      handMade({ a: { ...ok, shape: [3] } }, d8),
      /tensor "a": shape \[3\] F32 needs 12 bytes, data_offsets give 8/,
    ],
    [
      handMade({
        a: { ...ok, data_offsets: [0, 4], shape: [1] },
        b: { ...ok, data_offsets: [2, 6], shape: [1] },
      }, d8),
      /data starts at byte 2 but the previous tensor ends at 4/,
    ],
    [handMade({ a: ok }, new Uint8Array(12)), /4 bytes after the last tensor/],
  ];
  for (const [bytes, re] of cases) {
    assert.throws(() => decodeSafetensors(bytes, "f.safetensors"), re);
  }
});

Deno.test("loadParams checks names, shapes and dtypes against the model", async () => {
  const dir = await Deno.makeTempDir();
  const p = initMlp(key(1), [2, 8, 2]);
  await saveSafetensors(`${dir}/p.safetensors`, p);
  const back = await loadParams(`${dir}/p.safetensors`, initMlp(key(2), [2, 8, 2]));
  assert.deepEqual(back.layers[1].w.toArray(), p.layers[1].w.toArray());
  await assert.rejects(
    () => loadParams(`${dir}/p.safetensors`, initMlp(key(2), [2, 8, 8, 2])),
    /missing tensors? "layers.2.b"/,
  );
  await assert.rejects(
    () => loadParams(`${dir}/p.safetensors`, initMlp(key(2), [2, 8])),
    /tensors not in the model: "layers.1.b", "layers.1.w"/,
  );
  await assert.rejects(
    () => loadParams(`${dir}/p.safetensors`, initMlp(key(2), [2, 4, 2])),
    /tensor "layers.0.b" has shape \[8\], the model expects \[4\]/,
  );
  const f64 = { layers: p.layers.map((l) => ({ w: l.w.cast("float64"), b: l.b })) };
  await assert.rejects(
    () => loadParams(`${dir}/p.safetensors`, f64),
    /tensor "layers.0.w" is float32, the model expects float64/,
  );
});
