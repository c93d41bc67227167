/**
 * Elementwise fusion: a chain (tree) of elementwise equations becomes one kernel. Each
 * elementwise equation whose result is read exactly once, by another elementwise equation, and
 * is not a graph output, is computed inside its consumer's kernel as a `let` — no buffer, no
 * dispatch, no round trip through memory. Pure: testable without a device.
 *
 * @module
 */

import { type DType, type Eqn, type Graph, sizeOf, Var } from "@mfm/tensor";
import {
  elementwiseExpr,
  headerOf,
  type Kernel,
  renderKernel,
  type RenderOptions,
  wrap,
} from "./wgsl.ts";

/** One dispatch of a compiled graph: its kernel, the variables bound to its inputs, its output. */
export interface KernelStep {
  /** The kernel. */
  readonly kernel: Kernel;
  /** Variables bound to bindings 0…n−1. */
  readonly inputs: readonly Var[];
  /** The variable its output buffer holds. */
  readonly out: Var;
  /** How many equations it computes (1 unless fused). */
  readonly eqns: number;
  /** What it computes, for error messages: the primitives joined by `+`. */
  readonly label: string;
}

const isElementwise = (e: Eqn): boolean =>
  elementwiseExpr(e, e.inputs.map(() => "x")) !== undefined;

/**
 * The dispatches of a graph, elementwise chains fused; no kernel binds more than `maxInputs`
 * buffers besides its output.
 *
 * @example
 * ```ts
 * const steps = fuseKernels(graph); // silu(x) = x·σ(x): one step, not two
 * ```
 */
export function fuseKernels(
  graph: Graph<unknown>,
  maxInputs = 7,
  opts: RenderOptions = {},
): KernelStep[] {
  const uses = new Map<Var, number>();
  const consumer = new Map<Var, Eqn>();
  for (const e of graph.eqns) {
    for (const v of e.inputs) {
      uses.set(v, (uses.get(v) ?? 0) + 1);
      consumer.set(v, e);
    }
  }
  const outputs = new Set(graph.outputs);
  // consumers before producers: each elementwise equation joins its consumer's group when it is
  // that group's only reader and the group's distinct external inputs stay within the binding
  // limit (WebGPU guarantees 8 storage buffers per stage: 7 inputs and the output)
  const group = new Map<Eqn, Eqn>(); // equation → root of its kernel
  const external = new Map<Eqn, Set<Var>>(); // root → the variables its kernel binds
  for (let k = graph.eqns.length - 1; k >= 0; k--) {
    const e = graph.eqns[k];
    const c = consumer.get(e.out);
    if (
      isElementwise(e) && uses.get(e.out) === 1 && !outputs.has(e.out) && c && isElementwise(c)
    ) {
      const root = group.get(c)!;
      const ext = new Set(external.get(root)!);
      ext.delete(e.out);
      for (const v of e.inputs) ext.add(v);
      if (ext.size <= maxInputs) {
        group.set(e, root);
        external.set(root, ext);
        continue;
      }
    }
    group.set(e, e);
    external.set(e, new Set(e.inputs));
  }
  const membersOf = new Map<Eqn, Eqn[]>();
  for (const e of graph.eqns) {
    const root = group.get(e)!;
    if (!membersOf.has(root)) membersOf.set(root, []);
    membersOf.get(root)!.push(e);
  }
  const steps: KernelStep[] = [];
  for (const root of graph.eqns) {
    if (group.get(root) !== root) continue;
    const members = membersOf.get(root)!;
    if (root.prim === "concat" && root.inputs.length > maxInputs) {
      steps.push(...wideConcat(root as Eqn<"concat">, maxInputs, opts));
      continue;
    }
    if (members.length === 1) {
      steps.push({
        kernel: renderKernel(root, opts),
        inputs: root.inputs,
        out: root.out,
        eqns: 1,
        label: root.prim,
      });
      continue;
    }
    const external: Var[] = [];
    const names = new Map<Var, string>();
    const name = (v: Var): string => {
      let n = names.get(v);
      if (n === undefined) {
        // a one-element input is read at 0 (a scalar broadcast, or a one-element output)
        n = `in${external.length}[${sizeOf(v.aval.shape) === 1 ? "0u" : "i"}]`;
        external.push(v);
        names.set(v, n);
      }
      return n;
    };
    const lines = members.map((e, k) => {
      const expr = elementwiseExpr(e, e.inputs.map(name))!;
      if (e === root) return `  out[i] = ${expr};`;
      names.set(e.out, `t${k}`);
      return `  let t${k} = ${expr};`;
    });
    const threads = sizeOf(root.out.aval.shape);
    const dtypes: DType[] = external.map((v) => v.aval.dtype);
    const kernel: Kernel = {
      code: wrap(headerOf(dtypes, root.out.aval.dtype), lines.join("\n"), threads),
      inputs: external.length,
      threads,
    };
    steps.push({
      kernel,
      inputs: external,
      out: root.out,
      eqns: members.length,
      label: members.map((e) => e.prim).join("+"),
    });
  }
  return steps;
}

// A concat of more inputs than a kernel may bind: concat is associative along its axis, so
// concat groups of at most maxInputs into partial buffers, then concat those (repeatedly).
function wideConcat(eqn: Eqn<"concat">, maxInputs: number, opts: RenderOptions): KernelStep[] {
  const { axis } = eqn.params;
  const steps: KernelStep[] = [];
  let parts: readonly Var[] = eqn.inputs;
  let fresh = -1; // ids of the partials: negative, so they cannot collide with the graph's
  while (parts.length > maxInputs) {
    const next: Var[] = [];
    for (let i = 0; i < parts.length; i += maxInputs) {
      const chunk = parts.slice(i, i + maxInputs);
      if (chunk.length === 1) {
        next.push(chunk[0]);
        continue;
      }
      const shape = [...chunk[0].aval.shape];
      shape[axis] = chunk.reduce((n, v) => n + v.aval.shape[axis], 0);
      const out = new Var(fresh--, { shape, dtype: eqn.out.aval.dtype });
      const part: Eqn<"concat"> = { prim: "concat", params: eqn.params, inputs: chunk, out };
      steps.push({
        kernel: renderKernel(part, opts),
        inputs: chunk,
        out,
        eqns: 1,
        label: "concat",
      });
      next.push(out);
    }
    parts = next;
  }
  const last: Eqn<"concat"> = { ...eqn, inputs: parts };
  steps.push({
    kernel: renderKernel(last, opts),
    inputs: parts,
    out: eqn.out,
    eqns: 1,
    label: "concat",
  });
  return steps;
}
