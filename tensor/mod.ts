/**
 * The tensor core of mfm: `Tensor`, the closed primitive set with its rules, tracing into a
 * printable graph IR, the transforms `jvp`, `vjp`, `grad`, `valueAndGrad`, `jit`, composite
 * ops, explicit PRNG keys and parameter trees.
 *
 * @example
 * ```ts
 * import "@mfm/backends/cpu";
 * import { grad, tensor, type Tensor } from "@mfm/tensor";
 * const df = grad((x: Tensor) => x.sin().sum());
 * df(tensor([0, 1])).toArray(); // [1, cos(1)]
 * ```
 *
 * @module
 */

export * from "./dtype.ts";
export * from "./shape.ts";
export * from "./ir.ts";
export * from "./backend.ts";
export * from "./tensor.ts";
export * from "./create.ts";
export * from "./ops.ts";
export * from "./composite.ts";
export * from "./pytree.ts";
export * from "./random.ts";
export { bind, concreteTensor, evalGraph, isTracing, traceFlat } from "./trace.ts";
export type { Builder, TracedGraph } from "./trace.ts";
export { ruleFor, RULES } from "./primitives/rules.ts";
export type { JvpArgs, PrimRule, RuleTable, VjpArgs } from "./primitives/rule.ts";
export * from "./transforms/autodiff.ts";
export * from "./transforms/jit.ts";
export { optimizeGraph } from "./transforms/optimize.ts";
export * from "./testing.ts";
export * from "./options.ts";
export * from "./io.ts";
export { erf as erfNumber } from "./primitives/erf.ts";
