/**
 * The emitter that lowering rules write ONNX nodes and initializers through, and the node
 * attribute helpers they share.
 *
 * @module
 */

import type { DType, HostArray } from "@mfm/tensor";
import { bytesPerElement, sizeOf } from "@mfm/tensor";
import { type AttributeProto, type NodeProto, ONNX_DTYPE, type TensorProto } from "./proto.ts";

/**
 * The ONNX element type of a dtype.
 *
 * @example
 * ```ts
 * onnxType("float32"); // 1
 * ```
 */
export function onnxType(dtype: DType): number {
  return {
    float32: ONNX_DTYPE.FLOAT,
    float64: ONNX_DTYPE.DOUBLE,
    int32: ONNX_DTYPE.INT32,
    bool: ONNX_DTYPE.BOOL,
  }[
    dtype
  ];
}

function rawBytes(h: HostArray): Uint8Array {
  return new Uint8Array(
    h.data.buffer,
    h.data.byteOffset,
    sizeOf(h.shape) * bytesPerElement(h.dtype),
  ).slice();
}

/** Builds nodes and initializers with fresh names. */
export class Emitter {
  /** Nodes so far, in order. */
  readonly nodes: NodeProto[] = [];
  /** Initializers so far. */
  readonly initializers: TensorProto[] = [];
  /** Whether input-dilated convolutions may become ConvTranspose (see `LowerOptions`). */
  convTranspose = true;
  /** Whether small-output convolutions may become window slices + Gemm (see `LowerOptions`). */
  convWindows = true;
  private n = 0;

  /** A new value name. */
  fresh(prefix = "t"): string {
    return `${prefix}${this.n++}`;
  }

  /** Adds a node; returns its output name. */
  node(opType: string, input: string[], attribute: AttributeProto[] = [], output?: string): string {
    const out = output ?? this.fresh();
    this.nodes.push({
      opType,
      input,
      output: [out],
      name: `${opType}_${this.nodes.length}`,
      attribute,
    });
    return out;
  }

  /** Adds an initializer holding a host array; returns its name. */
  init(h: HostArray, name = this.fresh("c")): string {
    this.initializers.push({
      name,
      dims: [...h.shape],
      dataType: onnxType(h.dtype),
      rawData: rawBytes(h),
    });
    return name;
  }

  /** Adds an int64 vector initializer (shapes, axes); returns its name. */
  ints(values: readonly number[]): string {
    const name = this.fresh("i");
    const data = new BigInt64Array(values.map((v) => BigInt(v)));
    this.initializers.push({
      name,
      dims: [values.length],
      dataType: ONNX_DTYPE.INT64,
      rawData: new Uint8Array(data.buffer),
    });
    return name;
  }

  /** Adds a 0-d initializer; returns its name. */
  scalar(value: number, dtype: DType): string {
    const data = new ({
      float32: Float32Array,
      float64: Float64Array,
      int32: Int32Array,
      bool: Uint8Array,
    }[dtype])(1);
    data[0] = value;
    return this.init({ shape: [], dtype, data });
  }
}

/**
 * An integer node attribute.
 *
 * @example
 * ```ts
 * e.node("Concat", [a, b], [int("axis", 0)]);
 * ```
 */
export const int = (name: string, i: number): AttributeProto => ({ name, type: 2, i });
/**
 * An integer-list node attribute.
 *
 * @example
 * ```ts
 * e.node("Transpose", [x], [ints("perm", [1, 0])]);
 * ```
 */
export const ints = (name: string, v: readonly number[]): AttributeProto => ({
  name,
  type: 7,
  ints: [...v],
});
/**
 * A string node attribute.
 *
 * @example
 * ```ts
 * e.node("Pad", [x, pads], [str("mode", "constant")]);
 * ```
 */
export const str = (name: string, s: string): AttributeProto => ({
  name,
  type: 3,
  s: new TextEncoder().encode(s),
});
