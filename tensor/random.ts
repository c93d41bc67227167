/**
 * Explicit, counter-based randomness: keys are Threefry-2x32 (20 rounds) states; `split` and
 * `foldIn` derive new keys; draws are computed on the host from the key alone, so the same key
 * gives bit-identical numbers whatever backend receives them.
 *
 * @module
 */

import * as ops from "./ops.ts";
import { fromHost } from "./create.ts";
import { allocate, type DType, isFloat } from "./dtype.ts";
import { checkOptions } from "./options.ts";
import { checkShape, sizeOf } from "./shape.ts";
import type { Tensor } from "./tensor.ts";
import { argmax } from "./composite.ts";

/**
 * A PRNG key: two 32-bit words. Make one with `key(seed)`; never reuse a key for two draws —
 * `split` it.
 *
 * @example
 * ```ts
 * const [k1, k2] = split(key(0));
 * ```
 */
export class Key {
  /** @internal Use `key(seed)`, `split` or `foldIn`. */
  constructor(readonly k0: number, readonly k1: number) {}
  /** `Key(k0, k1)` in hex. */
  toString(): string {
    return `Key(${this.k0.toString(16)}, ${this.k1.toString(16)})`;
  }
}

const ROT = [[13, 15, 26, 6], [17, 29, 16, 24]];

/**
 * The Threefry-2x32 block cipher with 20 rounds (Salmon et al., Random123): encrypts the
 * counter (x0, x1) under the key (k0, k1).
 *
 * @example
 * ```ts
 * threefry2x32(0, 0, 0, 0); // [0x6b200159, 0x99ba4efe]
 * ```
 */
export function threefry2x32(k0: number, k1: number, x0: number, x1: number): [number, number] {
  const ks = [k0 >>> 0, k1 >>> 0, (0x1bd11bda ^ k0 ^ k1) >>> 0];
  let a = (x0 + ks[0]) >>> 0;
  let b = (x1 + ks[1]) >>> 0;
  for (let i = 0; i < 5; i++) {
    for (const r of ROT[i % 2]) {
      a = (a + b) >>> 0;
      b = ((b << r) | (b >>> (32 - r))) >>> 0;
      b = (b ^ a) >>> 0;
    }
    a = (a + ks[(i + 1) % 3]) >>> 0;
    b = (b + ks[(i + 2) % 3] + i + 1) >>> 0;
  }
  return [a, b];
}

// The second counter word separates uses of one key: 0 draws, 1 splits, 2 folds in data.
const DRAW = 0;
const SPLIT = 1;
const FOLD = 2;

/**
 * A key from an integer seed in [0, 2⁵³).
 *
 * @example
 * ```ts
 * const k = key(42);
 * ```
 */
export function key(seed: number): Key {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`key: seed ${seed} must be an integer in [0, 2^53)`);
  }
  return new Key(Math.floor(seed / 2 ** 32) >>> 0, seed >>> 0);
}

function checkKey(k: unknown, where: string): Key {
  if (!(k instanceof Key)) {
    throw new TypeError(`${where}: expected a Key (from key(seed)), got ${String(k)}`);
  }
  return k;
}

/**
 * `n` independent keys derived from one (default 2).
 *
 * @example
 * ```ts
 * const [kInit, kData] = split(key(0));
 * ```
 */
export function split(k: Key, n = 2): Key[] {
  checkKey(k, "split");
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`split: n ${n} must be a positive integer`);
  }
  return Array.from({ length: n }, (_, i) => {
    const [a, b] = threefry2x32(k.k0, k.k1, i, SPLIT);
    return new Key(a, b);
  });
}

/**
 * A key derived from a key and an integer (a step number, a layer index).
 *
 * @example
 * ```ts
 * const kStep = foldIn(k, step);
 * ```
 */
export function foldIn(k: Key, data: number): Key {
  checkKey(k, "foldIn");
  if (!Number.isInteger(data) || data < 0 || data >= 2 ** 32) {
    throw new RangeError(`foldIn: data ${data} must be an integer in [0, 2^32)`);
  }
  const [a, b] = threefry2x32(k.k0, k.k1, data, FOLD);
  return new Key(a, b);
}

/**
 * `n` random 32-bit words from a key.
 *
 * @example
 * ```ts
 * randomBits(key(0), 4);
 * ```
 */
export function randomBits(k: Key, n: number): Uint32Array {
  checkKey(k, "randomBits");
  const out = new Uint32Array(n + (n % 2));
  for (let i = 0; i < out.length / 2; i++) {
    const [a, b] = threefry2x32(k.k0, k.k1, i, DRAW);
    out[2 * i] = a;
    out[2 * i + 1] = b;
  }
  return n % 2 ? out.subarray(0, n) : out;
}

/** Options of the float draws. */
export interface DrawOptions {
  /** float32 (default) or float64. */
  dtype?: DType;
  /** Backend to put the result on (default: active). */
  backend?: string;
}

function floatDtype(dtype: DType | undefined, where: string): DType {
  const d = dtype ?? "float32";
  if (!isFloat(d)) throw new TypeError(`${where}: dtype must be float32 or float64, got ${d}`);
  return d;
}

/** Uniforms in (0, 1) with 53 random bits each, from word pairs. */
function uniforms53(k: Key, n: number): Float64Array {
  const bits = randomBits(k, 2 * n);
  const u = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    u[i] = ((bits[2 * i] >>> 5) * 67108864 + (bits[2 * i + 1] >>> 6) + 0.5) / 9007199254740992;
  }
  return u;
}

/**
 * Uniform draws in [low, high).
 *
 * @example
 * ```ts
 * uniform(key(0), [3], { low: -1, high: 1 });
 * ```
 */
export function uniform(
  k: Key,
  shape: readonly number[],
  opts: DrawOptions & { low?: number; high?: number } = {},
): Tensor {
  checkOptions(opts, ["dtype", "backend", "low", "high"], "uniform");
  const s = checkShape(shape, "uniform");
  const dtype = floatDtype(opts.dtype, "uniform");
  const low = opts.low ?? 0;
  const high = opts.high ?? 1;
  if (!(high > low)) throw new RangeError(`uniform: high ${high} must exceed low ${low}`);
  const u = uniforms53(checkKey(k, "uniform"), sizeOf(s));
  const data = allocate(dtype, u.length);
  for (let i = 0; i < u.length; i++) {
    data[i] = Math.min(low + (high - low) * u[i], high - (high - low) * 2 ** -24);
  }
  return fromHost({ shape: s, dtype, data }, opts.backend);
}

/**
 * Standard normal draws (Box–Muller on 53-bit uniforms), scaled by `std` and shifted by `mean`.
 *
 * @example
 * ```ts
 * const eps = normal(key(1), [1024, 2]);
 * ```
 */
export function normal(
  k: Key,
  shape: readonly number[],
  opts: DrawOptions & { mean?: number; std?: number } = {},
): Tensor {
  checkOptions(opts, ["dtype", "backend", "mean", "std"], "normal");
  const s = checkShape(shape, "normal");
  const dtype = floatDtype(opts.dtype, "normal");
  const n = sizeOf(s);
  const z = normalArray(checkKey(k, "normal"), n);
  const data = allocate(dtype, n);
  const mean = opts.mean ?? 0;
  const std = opts.std ?? 1;
  for (let i = 0; i < n; i++) data[i] = mean + std * z[i];
  return fromHost({ shape: s, dtype, data }, opts.backend);
}

/**
 * Draws category indices from unnormalised log-probabilities along `axis` (Gumbel-max), as
 * int32 with that axis removed. Works on traced logits too: only the noise comes from the key.
 *
 * @example
 * ```ts
 * categorical(key(0), tensor([[0, Math.log(3)]])); // mostly 1
 * ```
 */
export function categorical(k: Key, logits: Tensor, axis = -1): Tensor {
  const u = uniform(k, logits.shape, {
    dtype: logits.dtype,
    backend: logits.node.kind === "concrete" ? logits.node.backend.name : undefined,
  });
  const gumbel = ops.neg(ops.log(ops.neg(ops.log(u))));
  return argmax(ops.add(logits, gumbel), axis);
}

/**
 * A random permutation of 0..n−1 (Fisher–Yates), as int32.
 *
 * @example
 * ```ts
 * permutation(key(0), 5);
 * ```
 */
export function permutation(k: Key, n: number, backend?: string): Tensor {
  return fromHost({ shape: [n], dtype: "int32", data: permutationArray(k, n) }, backend);
}

/**
 * The permutation `permutation` draws, as a host array (no backend).
 *
 * @example
 * ```ts
 * permutationArray(key(0), 5); // Int32Array of 0..4 shuffled
 * ```
 */
export function permutationArray(k: Key, n: number): Int32Array {
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`permutation: n ${n} must be a non-negative integer`);
  }
  const u = uniforms53(checkKey(k, "permutation"), n);
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(u[i] * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/**
 * `n` uniforms in (0, 1) as a host array (53 random bits each): the numbers `uniform` uses,
 * without a backend.
 *
 * @example
 * ```ts
 * uniformArray(key(0), 4);
 * ```
 */
export function uniformArray(k: Key, n: number): Float64Array {
  return uniforms53(checkKey(k, "uniformArray"), n);
}

/**
 * `n` standard normals as a host array: the numbers `normal` draws, without a backend.
 *
 * @example
 * ```ts
 * normalArray(key(0), 4);
 * ```
 */
export function normalArray(k: Key, n: number): Float64Array {
  const u = uniforms53(checkKey(k, "normalArray"), 2 * Math.ceil(n / 2));
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(u[i]));
    const th = 2 * Math.PI * u[i + 1];
    out[i] = r * Math.cos(th);
    if (i + 1 < n) out[i + 1] = r * Math.sin(th);
  }
  return out;
}
