/**
 * Graph clean-up before compilation: constant folding, common-subexpression elimination
 * (including equal small constants) and dead-code elimination.
 *
 * @module
 */

import type { Eqn, Graph, GraphConst, Var } from "../ir.ts";
import { type HostArray, shortName } from "../dtype.ts";
import { fromHost } from "../create.ts";
import { ruleFor } from "../primitives/rules.ts";
import { sizeOf } from "../shape.ts";
import type { Tensor } from "../tensor.ts";

/** The host value of a small constant readable without waiting, else undefined. */
function hostOf(t: Tensor): HostArray | undefined {
  if (t.node.kind !== "concrete" || !t.node.backend.readSync) return undefined;
  return t.node.backend.readSync(t.node.buffer);
}

const SMALL_CONST = 16;
// results up to this many elements are always folded (scalar broadcasts feeding constant maths)
const FOLD_SMALL = 64;

function constKey(c: GraphConst<Tensor>): string | undefined {
  const t = c.value;
  if (t.size > SMALL_CONST || t.node.kind !== "concrete" || !t.node.backend.readSync) {
    return undefined;
  }
  const data = Array.from(t.node.backend.readSync(t.node.buffer).data);
  return `${t.node.backend.name}:${shortName(t.dtype)}[${t.shape}]:${data.join(",")}`;
}

/**
 * Removes duplicate equations and constants and everything the outputs do not need.
 *
 * @example
 * ```ts
 * const g2 = optimizeGraph(g); // same outputs, fewer equations
 * ```
 */
export function optimizeGraph(graph: Graph<Tensor>): Graph<Tensor> {
  const rename = new Map<Var, Var>();
  const r = (v: Var) => rename.get(v) ?? v;
  const consts: GraphConst<Tensor>[] = [];
  const seenConst = new Map<string, Var>();
  for (const c of graph.consts) {
    const key = constKey(c);
    const prev = key === undefined ? undefined : seenConst.get(key);
    if (prev) rename.set(c.v, prev);
    else {
      if (key !== undefined) seenConst.set(key, c.v);
      consts.push(c);
    }
  }
  const seen = new Map<string, Var>();
  const eqns: Eqn[] = [];
  const constValue = new Map<Var, Tensor>(consts.map((c) => [c.v, c.value]));
  for (const e of graph.eqns) {
    const inputs = e.inputs.map(r);
    // constant folding: all inputs constant and the result small or no larger than they are
    const values = inputs.map((v) => constValue.get(v));
    const outSize = sizeOf(e.out.aval.shape);
    if (
      values.length > 0 && values.every((t) => t !== undefined) &&
      outSize <= Math.max(FOLD_SMALL, ...values.map((t) => t!.size)) && e.prim !== "stop_gradient"
    ) {
      const hosts = values.map((t) => hostOf(t!));
      if (hosts.every((h) => h !== undefined)) {
        const folded = ruleFor(e.prim).eval(hosts as HostArray[], e.params, e.out.aval);
        const first = values[0]!.node;
        const value = fromHost(folded, first.kind === "concrete" ? first.backend.name : undefined);
        consts.push({ v: e.out, value });
        constValue.set(e.out, value);
        continue;
      }
    }
    const key = `${e.prim}|${JSON.stringify(e.params)}|${inputs.map((v) => v.id).join(",")}`;
    const prev = seen.get(key);
    if (prev) {
      rename.set(e.out, prev);
      continue;
    }
    seen.set(key, e.out);
    eqns.push({ ...e, inputs });
  }
  const outputs = graph.outputs.map(r);
  // dead-code elimination, backwards from the outputs
  const live = new Set<Var>(outputs);
  const kept: Eqn[] = [];
  for (let i = eqns.length - 1; i >= 0; i--) {
    const e = eqns[i];
    if (!live.has(e.out)) continue;
    kept.push(e);
    for (const v of e.inputs) live.add(v);
  }
  kept.reverse();
  return { inputs: graph.inputs, consts: consts.filter((c) => live.has(c.v)), eqns: kept, outputs };
}
