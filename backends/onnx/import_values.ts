/**
 * Values while interpreting an imported ONNX graph: tensors, or small host constants (int64
 * shapes and axes, scalars) that shape arithmetic folds on the host, as PyTorch exports need.
 *
 * @module
 */

import { type DType, fmtShape, fromHost, getBackend, sizeOf, type Tensor } from "@mfm/tensor";
import { ONNX_DTYPE, type TensorProto } from "./proto.ts";

/** A constant known on the host: its ONNX element type, shape and values as numbers. */
export interface HostValue {
  /** Discriminant. */
  readonly kind: "host";
  /** ONNX element type (TensorProto.DataType). */
  readonly elem: number;
  /** Shape. */
  readonly shape: readonly number[];
  /** Values, row-major. */
  readonly data: readonly number[];
}

/** A value of the graph being interpreted. */
export type Value = Tensor | HostValue;

/**
 * Whether a value is a host constant.
 *
 * @example
 * ```ts
 * isHost(v) && v.data.length;
 * ```
 */
export function isHost(v: Value | undefined): v is HostValue {
  return v !== undefined && (v as HostValue).kind === "host";
}

/**
 * A host constant.
 *
 * @example
 * ```ts
 * host(ONNX_DTYPE.INT64, [2], [1, -1]);
 * ```
 */
export function host(elem: number, shape: readonly number[], data: readonly number[]): HostValue {
  return { kind: "host", elem, shape: [...shape], data: [...data] };
}

/**
 * The mfm dtype an ONNX element type maps to (int64 becomes int32: mfm has no int64).
 *
 * @example
 * ```ts
 * dtypeOfElem(7); // "int32"
 * ```
 */
export function dtypeOfElem(elem: number, where: string): DType {
  switch (elem) {
    case ONNX_DTYPE.FLOAT:
      return "float32";
    case ONNX_DTYPE.DOUBLE:
      return "float64";
    case ONNX_DTYPE.INT32:
    case ONNX_DTYPE.INT64:
    case ONNX_DTYPE.UINT8:
      return "int32";
    case ONNX_DTYPE.BOOL:
      return "bool";
  }
  throw new TypeError(
    `${where}: ONNX element type ${elem} is not supported (float, double, int32, int64, uint8, bool)`,
  );
}

const isFloatElem = (e: number) => e === ONNX_DTYPE.FLOAT || e === ONNX_DTYPE.DOUBLE;

/**
 * A tensor for a value. Float host constants take the dtype of `like` when given (so a
 * constant 2.0 multiplies float64 inputs too); integer ones become int32.
 *
 * @example
 * ```ts
 * const t = toTensor(v, x, "Mul");
 * ```
 */
export function toTensor(v: Value, like: Tensor | undefined, where: string): Tensor {
  if (!isHost(v)) return v;
  let dtype = dtypeOfElem(v.elem, where);
  if (isFloatElem(v.elem) && like && (like.dtype === "float32" || like.dtype === "float64")) {
    dtype = like.dtype;
  }
  if (dtype === "int32" && v.data.some((x) => x > 2147483647 || x < -2147483648)) {
    throw new RangeError(
      `${where}: an int64 constant ${
        v.data.find((x) => Math.abs(x) > 2147483647)
      } does not fit int32`,
    );
  }
  const data = new ({
    float32: Float32Array,
    float64: Float64Array,
    int32: Int32Array,
    bool: Uint8Array,
  }[dtype])(
    v.data,
  );
  return fromHost({ shape: v.shape, dtype, data }, getBackend().name);
}

/**
 * The integers of a host constant (shapes, axes, pads), or an error naming the input.
 *
 * @example
 * ```ts
 * const shape = ints(v, "Reshape input 'shape'");
 * ```
 */
export function ints(v: Value | undefined, what: string): number[] {
  if (v === undefined) throw new Error(`${what} is missing`);
  if (!isHost(v)) {
    throw new Error(
      `${what} must be a constant (an initializer, Constant node or shape arithmetic), not a computed tensor`,
    );
  }
  return [...v.data];
}

/**
 * Decodes an initializer or constant tensor: integer and bool data stay on the host, floats
 * too (they become tensors where they are used).
 *
 * @example
 * ```ts
 * const v = decodeTensor(init, "initializer w");
 * ```
 */
export function decodeTensor(t: TensorProto, where: string): HostValue {
  if (t.dataLocation === 1) {
    throw new Error(`${where}: tensors stored in external files are not supported`);
  }
  const elem = t.dataType ?? 0;
  const shape = (t.dims ?? []).map(Number);
  const n = sizeOf(shape);
  let data: number[];
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  if (raw) {
    const buf = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
    switch (elem) {
      case ONNX_DTYPE.FLOAT:
        data = Array.from(new Float32Array(buf));
        break;
      case ONNX_DTYPE.DOUBLE:
        data = Array.from(new Float64Array(buf));
        break;
      case ONNX_DTYPE.INT32:
        data = Array.from(new Int32Array(buf));
        break;
      case ONNX_DTYPE.INT64:
        data = Array.from(new BigInt64Array(buf), Number);
        break;
      case ONNX_DTYPE.BOOL:
      case ONNX_DTYPE.UINT8:
        data = Array.from(new Uint8Array(buf));
        break;
      default:
        dtypeOfElem(elem, where);
        data = [];
    }
  } else {
    data = (t.floatData?.length
      ? t.floatData
      : t.doubleData?.length
      ? t.doubleData
      : t.int64Data?.length
      ? t.int64Data
      : t.int32Data ?? [])
      .map(Number);
    dtypeOfElem(elem, where);
  }
  if (data.length !== n) {
    throw new Error(`${where}: ${data.length} values for shape ${fmtShape(shape)}`);
  }
  return host(elem, shape, data);
}
