/**
 * safetensors (the standard checkpoint format): an 8-byte little-endian header length, a JSON
 * header `{ name: { dtype, shape, data_offsets } , __metadata__ }`, then the raw little-endian
 * bytes. Writes are atomic (temporary file, fsync, rename); reads check every field and name the
 * tensor at fault.
 *
 * @module
 */

import {
  allocate,
  bytesPerElement,
  type DType,
  flatten,
  fmtShape,
  fromHost,
  type HostArray,
  namedLeaves,
  shapesEqual,
  sizeOf,
  type Tensor,
  type Tree,
  unflatten,
  writeFileAtomic,
} from "@mfm/tensor";

const TO_ST: Record<DType, string> = { float32: "F32", float64: "F64", int32: "I32", bool: "BOOL" };
const FROM_ST: Record<string, DType> = {
  F32: "float32",
  F64: "float64",
  I32: "int32",
  BOOL: "bool",
};

/** String metadata stored in the header. */
export type Metadata = Record<string, string>;

/**
 * Encodes named host arrays as safetensors bytes (tensors in name order, header padded to 8).
 *
 * @example
 * ```ts
 * const bytes = encodeSafetensors({ w: host }, { step: "10" });
 * ```
 */
export function encodeSafetensors(
  tensors: Record<string, HostArray>,
  metadata: Metadata = {},
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") {
        throw new TypeError(`safetensors metadata "${k}" must be a string, got ${typeof v}`);
      }
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const name of names) {
    if (name === "__metadata__") {
      throw new RangeError(`safetensors: "__metadata__" cannot name a tensor`);
    }
    const h = tensors[name];
    const n = sizeOf(h.shape) * bytesPerElement(h.dtype);
    header[name] = { dtype: TO_ST[h.dtype], shape: h.shape, data_offsets: [offset, offset + n] };
    offset += n;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const name of names) {
    const h = tensors[name];
    const bytes = new Uint8Array(
      h.data.buffer,
      h.data.byteOffset,
      sizeOf(h.shape) * bytesPerElement(h.dtype),
    );
    out.set(bytes, at); // typed arrays are little-endian on every platform Deno runs on
    at += bytes.length;
  }
  return out;
}

/** A decoded safetensors file. */
export interface Decoded {
  /** Tensors by name. */
  readonly tensors: Record<string, HostArray>;
  /** The header's string metadata. */
  readonly metadata: Metadata;
}

/**
 * Decodes safetensors bytes, validating the header and every tensor's extent.
 *
 * @example
 * ```ts
 * const { tensors, metadata } = decodeSafetensors(await Deno.readFile("ckpt.safetensors"));
 * ```
 */
export function decodeSafetensors(bytes: Uint8Array, source = "safetensors"): Decoded {
  const fail = (msg: string): never => {
    throw new Error(`${source}: ${msg}`);
  };
  if (bytes.length < 8) {
    fail(`truncated: ${bytes.length} bytes, but the header length alone takes 8`);
  }
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (n > bytes.length - 8) {
    fail(
      `header length ${n} exceeds the ${
        bytes.length - 8
      } bytes after it (truncated or not safetensors)`,
    );
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    return fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    fail("header is not a JSON object");
  }
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const metadata = (header.__metadata__ ?? {}) as Metadata;
  if (typeof metadata !== "object" || Object.values(metadata).some((v) => typeof v !== "string")) {
    fail("__metadata__ must map strings to strings");
  }
  const entries: { name: string; dtype: DType; shape: number[]; start: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = FROM_ST[String(e?.dtype)];
    if (!dtype) {
      fail(
        `tensor "${name}": dtype ${
          JSON.stringify(e?.dtype)
        } is not supported (expected F32, F64, I32 or BOOL)`,
      );
    }
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      fail(
        `tensor "${name}": shape ${JSON.stringify(shape)} is not a list of non-negative integers`,
      );
    }
    const off = e.data_offsets;
    if (
      !Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isInteger(d) && d >= 0) ||
      off[1] < off[0]
    ) {
      fail(
        `tensor "${name}": data_offsets ${
          JSON.stringify(off)
        } must be [begin, end] with 0 ≤ begin ≤ end`,
      );
    }
    const [start, end] = off as number[];
    if (end > dataLen) {
      fail(
        `tensor "${name}": data ends at byte ${end} but the data section has ${dataLen} bytes (truncated file?)`,
      );
    }
    const need = sizeOf(shape as number[]) * bytesPerElement(dtype);
    if (end - start !== need) {
      fail(
        `tensor "${name}": shape ${
          fmtShape(shape as number[])
        } ${e.dtype} needs ${need} bytes, data_offsets give ${end - start}`,
      );
    }
    entries.push({ name, dtype, shape: shape as number[], start, end });
  }
  entries.sort((a, b) => a.start - b.start || a.end - b.end);
  let expect = 0;
  for (const e of entries) {
    if (e.start !== expect) {
      fail(
        `tensor "${e.name}": data starts at byte ${e.start} but the previous tensor ends at ${expect} (overlap or gap)`,
      );
    }
    expect = e.end;
  }
  if (expect !== dataLen) {
    fail(`${dataLen - expect} bytes after the last tensor belong to none (corrupt file?)`);
  }
  const tensors: Record<string, HostArray> = {};
  for (const e of entries) {
    const data = allocate(e.dtype, sizeOf(e.shape));
    new Uint8Array(data.buffer).set(bytes.subarray(dataStart + e.start, dataStart + e.end));
    tensors[e.name] = { shape: e.shape, dtype: e.dtype, data };
  }
  return { tensors, metadata };
}

/**
 * Saves a parameter tree as safetensors, tensors named by their tree paths (`layers.0.w`).
 *
 * @example
 * ```ts
 * await saveSafetensors("ckpt/model.safetensors", params, { step: "1000" });
 * ```
 */
export async function saveSafetensors(
  path: string,
  tree: Tree,
  metadata: Metadata = {},
): Promise<void> {
  const named: Record<string, HostArray> = {};
  for (const [name, t] of namedLeaves(tree)) {
    named[name] = { shape: t.shape, dtype: t.dtype, data: await t.data() };
  }
  await writeFileAtomic(path, encodeSafetensors(named, metadata));
}

/**
 * Loads every tensor of a safetensors file (on the active or the named backend).
 *
 * @example
 * ```ts
 * const { tensors } = await loadSafetensors("ckpt/model.safetensors");
 * ```
 */
export async function loadSafetensors(
  path: string,
  backend?: string,
): Promise<{ tensors: Record<string, Tensor>; metadata: Metadata }> {
  const { tensors, metadata } = decodeSafetensors(await Deno.readFile(path), path);
  return {
    tensors: Object.fromEntries(Object.entries(tensors).map(([k, h]) => [k, fromHost(h, backend)])),
    metadata,
  };
}

/**
 * Loads a safetensors file into the structure of `template` (a parameter tree of the expected
 * shapes): missing, extra, mis-shaped or mis-typed tensors fail with their names.
 *
 * @example
 * ```ts
 * const params = await loadParams("ckpt/model.safetensors", initMlp(key(0), [2, 64, 2]));
 * ```
 */
export async function loadParams<P extends Tree>(
  path: string,
  template: P,
  backend?: string,
): Promise<P> {
  const { tensors } = decodeSafetensors(await Deno.readFile(path), path);
  const expected = namedLeaves(template);
  const missing = expected.filter(([n]) => !(n in tensors)).map(([n]) => n);
  if (missing.length > 0) {
    throw new Error(
      `${path}: missing tensor${missing.length > 1 ? "s" : ""} ${
        missing.map((m) => `"${m}"`).join(", ")
      }`,
    );
  }
  const known = new Set(expected.map(([n]) => n));
  const extra = Object.keys(tensors).filter((n) => !known.has(n));
  if (extra.length > 0) {
    throw new Error(`${path}: tensors not in the model: ${extra.map((m) => `"${m}"`).join(", ")}`);
  }
  const leaves = expected.map(([name, t]) => {
    const h = tensors[name];
    if (!shapesEqual(h.shape, t.shape)) {
      throw new Error(
        `${path}: tensor "${name}" has shape ${fmtShape(h.shape)}, the model expects ${
          fmtShape(t.shape)
        }`,
      );
    }
    if (h.dtype !== t.dtype) {
      throw new Error(`${path}: tensor "${name}" is ${h.dtype}, the model expects ${t.dtype}`);
    }
    return fromHost(h, backend);
  });
  // namedLeaves and flatten visit leaves in the same order
  return unflatten<P>(flatten(template).def, leaves);
}
