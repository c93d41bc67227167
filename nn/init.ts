/**
 * Initialisers: each takes a PRNG key and a shape and returns a fresh float tensor.
 *
 * @module
 */

import { type DType, fmtShape, type Key, normal, type Tensor, uniform, zeros } from "@mfm/tensor";

/** An initialiser: key and shape to tensor. */
export type Initializer = (key: Key, shape: readonly number[], dtype?: DType) => Tensor;

/**
 * Fan-in and fan-out of a weight: `[in, out]` for dense layers, `[O, C, kh, kw]` for convs.
 *
 * @example
 * ```ts
 * fans([3, 4]); // { fanIn: 3, fanOut: 4 }
 * ```
 */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 2) return { fanIn: shape[0], fanOut: shape[1] };
  if (shape.length > 2) {
    const rf = shape.slice(2).reduce((a, b) => a * b, 1);
    return { fanIn: shape[1] * rf, fanOut: shape[0] * rf };
  }
  throw new RangeError(`fans: weight shape ${fmtShape(shape)} needs rank ≥ 2`);
}

/**
 * Glorot/Xavier uniform: U(±√(6/(fanIn+fanOut))).
 *
 * @example
 * ```ts
 * const w = glorotUniform(key(0), [2, 64]);
 * ```
 */
export function glorotUniform(
  key: Key,
  shape: readonly number[],
  dtype: DType = "float32",
): Tensor {
  const { fanIn, fanOut } = fans(shape);
  const a = Math.sqrt(6 / (fanIn + fanOut));
  return uniform(key, shape, { low: -a, high: a, dtype });
}

/**
 * He/Kaiming normal: N(0, 2/fanIn), for ReLU-family layers.
 *
 * @example
 * ```ts
 * const w = heNormal(key(0), [64, 64]);
 * ```
 */
export function heNormal(key: Key, shape: readonly number[], dtype: DType = "float32"): Tensor {
  return normal(key, shape, { std: Math.sqrt(2 / fans(shape).fanIn), dtype });
}

/**
 * LeCun normal: N(0, 1/fanIn).
 *
 * @example
 * ```ts
 * const w = lecunNormal(key(0), [64, 64]);
 * ```
 */
export function lecunNormal(key: Key, shape: readonly number[], dtype: DType = "float32"): Tensor {
  return normal(key, shape, { std: Math.sqrt(1 / fans(shape).fanIn), dtype });
}

/**
 * N(0, std²) regardless of fans.
 *
 * @example
 * ```ts
 * const emb = normalInit(0.02)(key(0), [10, 64]);
 * ```
 */
export function normalInit(std: number): Initializer {
  if (!(std >= 0)) throw new RangeError(`normalInit: std ${std} must be ≥ 0`);
  return (key, shape, dtype = "float32") => normal(key, shape, { std, dtype });
}

/**
 * All zeros (the key is unused; zero-initialised output layers are common in flow maps).
 *
 * @example
 * ```ts
 * const w = zerosInit(key(0), [64, 2]);
 * ```
 */
export function zerosInit(_key: Key, shape: readonly number[], dtype: DType = "float32"): Tensor {
  return zeros(shape, dtype);
}

/** Initialisers by name, for configs. */
export const INITIALIZERS: Record<string, Initializer> = {
  glorot_uniform: glorotUniform,
  he_normal: heNormal,
  lecun_normal: lecunNormal,
  zeros: zerosInit,
};

/**
 * Looks an initialiser up by name; unknown names list the known ones.
 *
 * @example
 * ```ts
 * const init = initializer("he_normal");
 * ```
 */
export function initializer(name: string): Initializer {
  const f = INITIALIZERS[name];
  if (!f) {
    throw new RangeError(
      `unknown initializer "${name}": expected one of ${Object.keys(INITIALIZERS).join(", ")}`,
    );
  }
  return f;
}
