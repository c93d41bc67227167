/**
 * The rule table of the closed primitive set, assembled from the per-family files. Its type is
 * `RuleTable`, a mapped type over every primitive: a missing rule is a type error here.
 *
 * @module
 */

import { ELEMENTWISE_RULES } from "./elementwise.ts";
import { INDEXING_RULES } from "./indexing.ts";
import { LINALG_RULES } from "./linalg.ts";
import { MOVEMENT_RULES } from "./movement.ts";
import { REDUCE_RULES } from "./reduce.ts";
import type { Prim } from "../ir.ts";
import type { PrimRule, RuleTable } from "./rule.ts";

/**
 * Shape, reference evaluation, jvp and vjp rules of every primitive.
 *
 * @example
 * ```ts
 * RULES.exp.shape([{ shape: [2], dtype: "float32" }], {});
 * ```
 */
export const RULES: RuleTable = {
  ...ELEMENTWISE_RULES,
  ...REDUCE_RULES,
  ...MOVEMENT_RULES,
  ...INDEXING_RULES,
  ...LINALG_RULES,
};

/**
 * The rules of a primitive, typed loosely enough to call from code that handles every
 * primitive (the interpreters).
 *
 * @example
 * ```ts
 * ruleFor("exp").shape([{ shape: [2], dtype: "float32" }], {});
 * ```
 */
export function ruleFor(prim: Prim): PrimRule<Prim> {
  return RULES[prim] as unknown as PrimRule<Prim>;
}
