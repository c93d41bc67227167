/**
 * `jit`: trace once per input signature, optimise, compile the whole graph on the backend, and
 * run the compiled executable on later calls. `makeGraph` exposes the traced graph.
 *
 * @module
 */

import type { Backend, DeviceBuffer, Executable } from "../backend.ts";
import { getBackend } from "../backend.ts";
import { shortName } from "../dtype.ts";
import type { Graph } from "../ir.ts";
import { defKey, flatten, type Tree, unflatten } from "../pytree.ts";
import type { Tensor } from "../tensor.ts";
import { concreteTensor, isTracing } from "../trace.ts";
import { optimizeGraph } from "./optimize.ts";
import { traceTree } from "./trace_tree.ts";

/**
 * The graph `f` traces to on these arguments (optimised), for printing with `printGraph`.
 *
 * @example
 * ```ts
 * console.log(printGraph(makeGraph((x: Tensor) => x.exp().sum(), tensor([1, 2]))));
 * ```
 */
export function makeGraph<A extends Tree[]>(f: (...args: A) => Tree, ...args: A): Graph<Tensor> {
  const tr = traceTree(f, args);
  return optimizeGraph(tr.graph);
}

function bufferOn(backend: Backend, t: Tensor): DeviceBuffer {
  if (t.node.kind !== "concrete") throw new Error(`jit: argument ${t} is traced`);
  if (t.node.backend === backend) return t.node.buffer;
  if (!t.node.backend.readSync) {
    throw new Error(
      `jit: a tensor on backend "${t.node.backend.name}" was used with "${backend.name}"; move it with toBackend()`,
    );
  }
  return backend.upload(t.node.backend.readSync(t.node.buffer));
}

interface Compiled {
  readonly exe: Executable;
  readonly backend: Backend;
  readonly outDef: ReturnType<typeof traceTree>["outDef"];
  readonly graph: Graph<Tensor>;
}

/** A jitted function: call it like the original; `graph(...)` shows what it compiles. */
export interface Jitted<A extends Tree[], R extends Tree> {
  (...args: A): R;
  /** The optimised graph for these arguments (traced, not run). */
  graph(...args: A): Graph<Tensor>;
  /** Number of distinct signatures compiled so far. */
  readonly cacheSize: number;
}

/**
 * Compiles `f` whole for each input signature (shapes, dtypes, tree structure, static leaves
 * and backend) and caches it. Inside another trace it inlines. Tensors `f` closes over are
 * baked in as constants: pass values that change (parameters) as arguments.
 *
 * @example
 * ```ts
 * const step = jit((p: Params, x: Tensor) => valueAndGrad(loss)(p, x));
 * const { value, grad } = step(params, batch);
 * ```
 */
export function jit<A extends Tree[], R extends Tree>(f: (...args: A) => R): Jitted<A, R> {
  const cache = new Map<string, Compiled>();
  const jitted = ((...args: A): R => {
    if (isTracing()) return f(...args);
    const { leaves, def } = flatten(args as Tree);
    const first = leaves.find((t) => t.node.kind === "concrete")?.node;
    const be = first?.kind === "concrete" ? first.backend : getBackend();
    const key = `${be.name}|${defKey(def)}|${
      leaves.map((t) => `${shortName(t.dtype)}[${t.shape}]`).join(";")
    }`;
    let c = cache.get(key);
    if (!c) {
      const tr = traceTree(f, args);
      const graph = optimizeGraph(tr.graph);
      const consts = graph.consts.map((k) => ({ v: k.v, value: bufferOn(be, k.value) }));
      c = { exe: be.compile({ ...graph, consts }), backend: be, outDef: tr.outDef, graph };
      cache.set(key, c);
    }
    const { exe, backend, outDef } = c;
    const outs = backend.execute(exe, leaves.map((t) => bufferOn(backend, t)));
    return unflatten<R>(outDef, outs.map((b) => concreteTensor(backend, b)));
  }) as Jitted<A, R>;
  jitted.graph = (...args: A) => makeGraph(f, ...args);
  Object.defineProperty(jitted, "cacheSize", { get: () => cache.size });
  return jitted;
}
