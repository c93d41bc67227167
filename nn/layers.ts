/**
 * Dense layers and MLPs as pure functions of parameter trees: `initX(key, …)` makes the
 * parameters, `x(params, input)` applies them.
 *
 * @module
 */

import {
  checkOptions,
  fmtShape,
  gelu,
  type Key,
  matmul,
  relu,
  silu,
  split,
  tanh,
  type Tensor,
} from "@mfm/tensor";
import { type Initializer, initializer, zerosInit } from "./init.ts";

/** Parameters of a dense layer: `y = x w + b`, `w` is `[in, out]`. */
export type LinearParams = { readonly w: Tensor; readonly b: Tensor };

/** Options of `initLinear`. */
export interface LinearOptions {
  /** Weight initialiser (function or name); default Glorot uniform. */
  init?: Initializer | string;
  /** Bias initialiser; default zeros. */
  biasInit?: Initializer | string;
}

function resolve(init: Initializer | string | undefined, fallback: string): Initializer {
  return typeof init === "function" ? init : initializer(init ?? fallback);
}

function checkDim(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`${what} ${n} must be a positive integer`);
  }
}

/**
 * Parameters of a dense layer.
 *
 * @example
 * ```ts
 * const p = initLinear(key(0), 2, 64);
 * ```
 */
export function initLinear(
  key: Key,
  inDim: number,
  outDim: number,
  opts: LinearOptions = {},
): LinearParams {
  checkOptions(opts, ["init", "biasInit", "zeroLast"], "initLinear");
  checkDim(inDim, "initLinear: inDim");
  checkDim(outDim, "initLinear: outDim");
  const [kw, kb] = split(key);
  return {
    w: resolve(opts.init, "glorot_uniform")(kw, [inDim, outDim]),
    b: (typeof opts.biasInit === "function"
      ? opts.biasInit
      : opts.biasInit
      ? initializer(opts.biasInit)
      : zerosInit)(
        kb,
        [outDim],
      ),
  };
}

/**
 * Applies a dense layer to `[..., in]`.
 *
 * @example
 * ```ts
 * const y = linear(p, x); // [batch, 64]
 * ```
 */
export function linear(p: LinearParams, x: Tensor): Tensor {
  const inDim = p.w.shape[0];
  if (x.shape[x.rank - 1] !== inDim) {
    throw new RangeError(
      `linear: input ${fmtShape(x.shape)} does not end in ${inDim} (weight ${fmtShape(p.w.shape)})`,
    );
  }
  return matmul(x, p.w).add(p.b);
}

/** Activation functions by name. */
export const ACTIVATIONS = { silu, gelu: (x: Tensor) => gelu(x), relu, tanh } as const;

/** Name of an activation. */
export type Activation = keyof typeof ACTIVATIONS;

/** Parameters of an MLP: its dense layers in order. */
export type MlpParams = { readonly layers: readonly LinearParams[] };

/** Options of `initMlp`. */
export interface MlpOptions extends LinearOptions {
  /** Initialise the last layer to zero (a common choice for residual flow maps). */
  zeroLast?: boolean;
}

/**
 * Parameters of an MLP with layer sizes `[in, hidden…, out]`.
 *
 * @example
 * ```ts
 * const p = initMlp(key(0), [2, 256, 256, 2]);
 * ```
 */
export function initMlp(key: Key, sizes: readonly number[], opts: MlpOptions = {}): MlpParams {
  checkOptions(opts, ["init", "biasInit", "zeroLast"], "initMlp");
  if (!Array.isArray(sizes) || sizes.length < 2) {
    throw new RangeError(`initMlp: sizes ${JSON.stringify(sizes)} needs at least [in, out]`);
  }
  const keys = split(key, sizes.length - 1);
  return {
    layers: keys.map((k, i) => {
      const last = i === sizes.length - 2;
      return initLinear(
        k,
        sizes[i],
        sizes[i + 1],
        last && opts.zeroLast ? { ...opts, init: zerosInit } : opts,
      );
    }),
  };
}

/**
 * Applies an MLP: activation between layers, none after the last.
 *
 * @example
 * ```ts
 * const y = mlp(p, x, "silu");
 * ```
 */
export function mlp(p: MlpParams, x: Tensor, activation: Activation = "silu"): Tensor {
  const act = ACTIVATIONS[activation];
  if (!act) {
    throw new RangeError(
      `mlp: unknown activation "${activation}": expected one of ${
        Object.keys(ACTIVATIONS).join(", ")
      }`,
    );
  }
  let h = x;
  p.layers.forEach((l, i) => {
    h = linear(l, h);
    if (i < p.layers.length - 1) h = act(h);
  });
  return h;
}
