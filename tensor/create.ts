/**
 * Making concrete tensors from JS data: `tensor`, `scalar`, `zeros`, `ones`, `full`, `arange`,
 * and moving tensors between backends.
 *
 * @module
 */

import { getBackend } from "./backend.ts";
import { allocate, checkDType, type DType, type HostArray, type TypedArray } from "./dtype.ts";
import { checkOptions } from "./options.ts";
import { checkShape, fmtShape, sizeOf } from "./shape.ts";
import type { Tensor } from "./tensor.ts";
import { concreteTensor } from "./trace.ts";

/** Options for creating a tensor. */
export interface CreateOptions {
  /** Element type; defaults to float32 (or what a typed array implies). */
  dtype?: DType;
  /** Shape; defaults to the nesting of the data. */
  shape?: readonly number[];
  /** Backend name; defaults to the active backend. */
  backend?: string;
}

/** Nested arrays of numbers or booleans. */
export type NestedData = number | boolean | readonly NestedData[];

function inferShape(data: NestedData): number[] {
  const shape: number[] = [];
  let cur: NestedData = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0] as NestedData;
  }
  return shape;
}

function flatten(data: NestedData, shape: readonly number[], out: number[], axis: number): void {
  if (axis === shape.length) {
    if (typeof data !== "number" && typeof data !== "boolean") {
      throw new TypeError(
        `tensor(): expected a number at depth ${axis}, got ${JSON.stringify(data)}`,
      );
    }
    out.push(Number(data));
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[axis]) {
    throw new RangeError(
      `tensor(): ragged data: expected ${shape[axis]} entries at depth ${axis} ` +
        `(shape ${fmtShape(shape)}), got ${
          Array.isArray(data) ? data.length : JSON.stringify(data)
        }`,
    );
  }
  for (const d of data) flatten(d, shape, out, axis + 1);
}

function dtypeOf(data: TypedArray): DType {
  if (data instanceof Float64Array) return "float64";
  if (data instanceof Int32Array) return "int32";
  if (data instanceof Uint8Array) return "bool";
  return "float32";
}

/**
 * Uploads a host array to a backend as a concrete tensor.
 *
 * @example
 * ```ts
 * const t = fromHost({ shape: [2], dtype: "float32", data: new Float32Array([1, 2]) });
 * ```
 */
export function fromHost(host: HostArray, backend?: string): Tensor {
  if (host.data.length !== sizeOf(host.shape)) {
    throw new RangeError(
      `fromHost: ${host.data.length} elements do not fill shape ${fmtShape(host.shape)}`,
    );
  }
  const b = getBackend(backend);
  return concreteTensor(b, b.upload(host));
}

/**
 * A tensor from nested arrays, a number, or a typed array.
 *
 * @example
 * ```ts
 * const a = tensor([[1, 2], [3, 4]]);                 // float32[2,2]
 * const b = tensor([1, 2, 3], { dtype: "int32" });    // int32[3]
 * const c = tensor(new Float64Array(6), { shape: [2, 3] });
 * ```
 */
export function tensor(data: NestedData | TypedArray, opts: CreateOptions = {}): Tensor {
  checkOptions(opts, ["dtype", "shape", "backend"], "tensor()");
  let dtype = opts.dtype === undefined ? undefined : checkDType(opts.dtype, "tensor()");
  let values: ArrayLike<number>;
  let shape: number[];
  if (ArrayBuffer.isView(data)) {
    dtype ??= dtypeOf(data);
    values = data;
    shape = opts.shape ? checkShape(opts.shape, "tensor()") : [data.length];
  } else {
    const inferred = inferShape(data);
    const flat: number[] = [];
    flatten(data, inferred, flat, 0);
    values = flat;
    shape = opts.shape ? checkShape(opts.shape, "tensor()") : inferred;
  }
  if (values.length !== sizeOf(shape)) {
    throw new RangeError(
      `tensor(): ${values.length} values do not fill shape ${fmtShape(shape)} (${
        sizeOf(shape)
      } elements)`,
    );
  }
  const dt = dtype ?? "float32";
  const buf = allocate(dt, values.length);
  for (let i = 0; i < values.length; i++) buf[i] = values[i];
  return fromHost({ shape, dtype: dt, data: buf }, opts.backend);
}

/**
 * A 0-d tensor.
 *
 * @example
 * ```ts
 * const s = scalar(2.5);
 * ```
 */
export function scalar(value: number, dtype: DType = "float32", backend?: string): Tensor {
  return tensor(value, { dtype, backend });
}

/**
 * A tensor filled with one value.
 *
 * @example
 * ```ts
 * const t = full([2, 2], 7);
 * ```
 */
export function full(
  shape: readonly number[],
  value: number,
  dtype: DType = "float32",
  backend?: string,
): Tensor {
  const s = checkShape(shape, "full()");
  const data = allocate(checkDType(dtype, "full()"), sizeOf(s));
  data.fill(value);
  return fromHost({ shape: s, dtype, data }, backend);
}

/**
 * Zeros of a shape.
 *
 * @example
 * ```ts
 * const z = zeros([3]);
 * ```
 */
export function zeros(
  shape: readonly number[],
  dtype: DType = "float32",
  backend?: string,
): Tensor {
  return full(shape, 0, dtype, backend);
}

/**
 * Ones of a shape.
 *
 * @example
 * ```ts
 * const o = ones([3], "float64");
 * ```
 */
export function ones(shape: readonly number[], dtype: DType = "float32", backend?: string): Tensor {
  return full(shape, 1, dtype, backend);
}

/**
 * `[start, start + step, …)` below `stop`.
 *
 * @example
 * ```ts
 * arange(0, 4).toArray(); // [0, 1, 2, 3]
 * ```
 */
export function arange(start: number, stop: number, step = 1, dtype: DType = "float32"): Tensor {
  if (step === 0 || !Number.isFinite(step)) {
    throw new RangeError(`arange(): step ${step} must be finite and non-zero`);
  }
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const data = allocate(dtype, n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return fromHost({ shape: [n], dtype, data });
}

/**
 * Copies a concrete tensor to another backend (through the host).
 *
 * @example
 * ```ts
 * const y = await toBackend(x, "cpu");
 * ```
 */
export async function toBackend(t: Tensor, backend: string): Promise<Tensor> {
  if (t.node.kind !== "concrete") {
    throw new Error(`toBackend: ${t} is traced; call it outside jit/grad`);
  }
  if (t.node.backend.name === backend) return t;
  return fromHost(await t.node.backend.read(t.node.buffer), backend);
}
