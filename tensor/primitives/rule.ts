/**
 * The shape of a primitive's rules: shape rule, reference evaluation, jvp rule and vjp
 * (transpose) rule, side by side. `RuleTable` is a mapped type over every primitive, so a
 * primitive without all four rules does not type-check.
 *
 * @module
 */

import type { Aval, HostArray } from "../dtype.ts";
import type { Prim, PrimParams } from "../ir.ts";
import type { Tensor } from "../tensor.ts";

/** What a jvp rule sees: primal inputs, their tangents (null = zero), the primal output. */
export interface JvpArgs<P extends Prim> {
  /** Primal inputs. */
  readonly primals: readonly Tensor[];
  /** Their tangents; null stands for zero. */
  readonly tangents: readonly (Tensor | null)[];
  /** The primal output. */
  readonly out: Tensor;
  /** The primitive's parameters. */
  readonly params: PrimParams[P];
}

/** What a vjp rule sees: the output cotangent, primal inputs and output, which inputs need one. */
export interface VjpArgs<P extends Prim> {
  /** Cotangent of the output. */
  readonly ct: Tensor;
  /** Primal inputs. */
  readonly primals: readonly Tensor[];
  /** The primal output. */
  readonly out: Tensor;
  /** The primitive's parameters. */
  readonly params: PrimParams[P];
  /** Which inputs need a cotangent (the others may be returned as null). */
  readonly needs: readonly boolean[];
}

/** The four rules of one primitive. */
export interface PrimRule<P extends Prim> {
  /** Checks the inputs and returns the output's abstract value; errors name the shapes. */
  shape(inputs: readonly Aval[], params: PrimParams[P]): Aval;
  /** Reference evaluation on host arrays (the cpu backend's implementation). */
  eval(inputs: readonly HostArray[], params: PrimParams[P], out: Aval): HostArray;
  /** Forward-mode rule: the output tangent, or null when it is zero. */
  jvp(args: JvpArgs<P>): Tensor | null;
  /** Reverse-mode rule: one cotangent per input (null when zero or not needed). */
  vjp(args: VjpArgs<P>): (Tensor | null)[];
}

/** Rules for every primitive. */
export type RuleTable = { [P in Prim]: PrimRule<P> };

/** Rules for a subset of primitives (one file of rules). */
export type RuleGroup<K extends Prim> = { [P in K]: PrimRule<P> };

/**
 * Fails unless a primitive got `n` inputs.
 *
 * @example
 * ```ts
 * arity("exp", inputs, 1);
 * ```
 */
export function arity(prim: Prim, inputs: readonly unknown[], n: number): void {
  if (inputs.length !== n) {
    throw new RangeError(`${prim}: expected ${n} inputs, got ${inputs.length}`);
  }
}
