/**
 * What an imported operator's implementation receives, and helpers to read its attributes and
 * inputs.
 *
 * @module
 */

import type { Tensor } from "@mfm/tensor";
import type { AttributeProto, NodeProto } from "./proto.ts";
import { isHost, toTensor, type Value } from "./import_values.ts";

/** What an operator implementation receives. */
export interface OpContext {
  /** The node. */
  readonly node: NodeProto;
  /** The default-domain opset of the model. */
  readonly opset: number;
  /** Input values (undefined for omitted optional inputs). */
  readonly inputs: readonly (Value | undefined)[];
  /** `node "name" (OpType)` for messages. */
  readonly where: string;
}

/** An operator implementation: one output, or several. */
export type OpImpl = (c: OpContext) => Value | Value[];

/**
 * A node's attribute by name.
 *
 * @example
 * ```ts
 * attr(c, "axis")?.i;
 * ```
 */
export function attr(c: OpContext, name: string): AttributeProto | undefined {
  return c.node.attribute?.find((a) => a.name === name);
}

/**
 * An int attribute, or the default.
 *
 * @example
 * ```ts
 * aInt(c, "keepdims", 1);
 * ```
 */
export function aInt(c: OpContext, name: string, d: number): number {
  return attr(c, name)?.i ?? d;
}

/**
 * A float attribute, or the default.
 *
 * @example
 * ```ts
 * aFloat(c, "epsilon", 1e-5);
 * ```
 */
export function aFloat(c: OpContext, name: string, d: number): number {
  return attr(c, name)?.f ?? d;
}

/**
 * An ints attribute, or undefined.
 *
 * @example
 * ```ts
 * aInts(c, "perm");
 * ```
 */
export function aInts(c: OpContext, name: string): number[] | undefined {
  return attr(c, name)?.ints?.map(Number);
}

/**
 * A string attribute, or the default.
 *
 * @example
 * ```ts
 * aStr(c, "auto_pad", "NOTSET");
 * ```
 */
export function aStr(c: OpContext, name: string, d: string): string {
  const s = attr(c, name)?.s;
  return s ? new TextDecoder().decode(s) : d;
}

/**
 * Input i, which must be present.
 *
 * @example
 * ```ts
 * const x = input(c, 0);
 * ```
 */
export function input(c: OpContext, i: number): Value {
  const v = c.inputs[i];
  if (v === undefined) throw new Error(`${c.where}: input ${i} is missing`);
  return v;
}

/**
 * Input i as a tensor, float constants taking the dtype of the first tensor input.
 *
 * @example
 * ```ts
 * const w = T(c, 1);
 * ```
 */
export function T(c: OpContext, i: number): Tensor {
  const like = c.inputs.find((v) => v !== undefined && !isHost(v)) as Tensor | undefined;
  return toTensor(input(c, i), like, c.where);
}
