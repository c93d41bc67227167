/**
 * Tracing a function of trees: the step every transform starts with.
 *
 * @module
 */

import { flatten, type Tree, type TreeDef, unflatten } from "../pytree.ts";
import type { Tensor } from "../tensor.ts";
import { type TracedGraph, traceFlat } from "../trace.ts";

/** A traced function of trees, with the structures of its arguments and result. */
export interface TracedTree extends TracedGraph {
  /** Structure of the argument list. */
  readonly inDef: TreeDef;
  /** Structure of the result. */
  readonly outDef: TreeDef;
  /** The argument tensors, flattened. */
  readonly leaves: readonly Tensor[];
}

/**
 * Traces `f(...args)` into a graph whose inputs are the tensors of `args` (then captures).
 *
 * @example
 * ```ts
 * const t = traceTree((x: Tensor) => x.exp(), [tensor([1, 2])]);
 * ```
 */
export function traceTree<A extends Tree[], R extends Tree>(
  f: (...args: A) => R,
  args: readonly Tree[],
): TracedTree {
  const { leaves, def: inDef } = flatten(args as Tree);
  let outDef: TreeDef | undefined;
  const traced = traceFlat((inputs) => {
    const out = f(...unflatten<A>(inDef, inputs));
    const fo = flatten(out);
    outDef = fo.def;
    return fo.leaves;
  }, leaves.map((t) => t.aval));
  return { ...traced, inDef, outDef: outDef!, leaves };
}
