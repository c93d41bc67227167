/**
 * Element types, abstract values (shape + dtype) and the host arrays that hold them.
 *
 * @module
 */

/** The element types of a tensor: float32 for work, float64 for gradient checks, int32, bool. */
export type DType = "float32" | "float64" | "int32" | "bool";

/** Every dtype, in a fixed order (used for validation messages). */
export const DTYPES: readonly DType[] = ["float32", "float64", "int32", "bool"];

/** The typed array that stores each dtype on the host (bool as one byte per element). */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/**
 * An abstract value: what is known of a tensor while tracing (shape and dtype, no data).
 *
 * @example
 * ```ts
 * const a: Aval = { shape: [2, 3], dtype: "float32" };
 * ```
 */
export interface Aval {
  /** Sizes of the axes. */
  readonly shape: readonly number[];
  /** Element type. */
  readonly dtype: DType;
}

/**
 * A dense row-major array on the host: the unit the reference rules evaluate on.
 *
 * @example
 * ```ts
 * const h: HostArray = { shape: [2], dtype: "float32", data: new Float32Array([1, 2]) };
 * ```
 */
export interface HostArray extends Aval {
  /** Row-major elements. */
  readonly data: TypedArray;
}

/**
 * Whether a dtype is a floating type (the only kind that carries derivatives).
 *
 * @example
 * ```ts
 * isFloat("float64"); // true
 * ```
 */
export function isFloat(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64";
}

/**
 * Fails unless `value` names a dtype.
 *
 * @example
 * ```ts
 * const d = checkDType("float32", "cast");
 * ```
 */
export function checkDType(value: unknown, where: string): DType {
  if (typeof value !== "string" || !(DTYPES as readonly string[]).includes(value)) {
    throw new TypeError(
      `${where}: dtype ${JSON.stringify(value)} is not one of ${DTYPES.join(", ")}`,
    );
  }
  return value as DType;
}

/**
 * Allocates a zero-filled typed array for `size` elements of `dtype`.
 *
 * @example
 * ```ts
 * allocate("int32", 4); // Int32Array(4)
 * ```
 */
export function allocate(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(size);
    case "float64":
      return new Float64Array(size);
    case "int32":
      return new Int32Array(size);
    case "bool":
      return new Uint8Array(size);
  }
}

/**
 * Bytes per element of a dtype.
 *
 * @example
 * ```ts
 * bytesPerElement("float64"); // 8
 * ```
 */
export function bytesPerElement(dtype: DType): number {
  return dtype === "float64" ? 8 : dtype === "bool" ? 1 : 4;
}

/**
 * Short dtype names used by the printed IR (`f32[2,3]`).
 *
 * @example
 * ```ts
 * shortName("float32"); // "f32"
 * ```
 */
export function shortName(dtype: DType): string {
  return { float32: "f32", float64: "f64", int32: "i32", bool: "bool" }[dtype];
}
