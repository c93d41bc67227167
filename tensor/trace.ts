/**
 * Tracing: a stack of graph builders, `bind` (the one door every primitive goes through), and
 * the functions that turn a function of tensors into a graph and a graph back into tensors.
 *
 * @module
 */

import { type Backend, type DeviceBuffer, getBackend } from "./backend.ts";
import type { Aval } from "./dtype.ts";
import { type Eqn, type Graph, type GraphConst, type Prim, type PrimParams, Var } from "./ir.ts";
import { ruleFor } from "./primitives/rules.ts";
import { type ConcreteNode, Tensor } from "./tensor.ts";

/**
 * Collects the equations of one trace. Tensors of enclosing traces become extra inputs
 * (captures); concrete tensors become constants.
 */
export class Builder {
  /** Recorded equations, in order. */
  readonly eqns: Eqn[] = [];
  /** The trace's own inputs. */
  readonly inputs: Var[] = [];
  /** Concrete tensors used, as constant variables. */
  readonly consts: Map<Tensor, Var> = new Map();
  /** Variables of enclosing traces used, by their outer variable. */
  readonly captures: Map<Var, { v: Var; outer: Tensor }> = new Map();
  private nextId = 0;

  /** A fresh variable of this builder. */
  newVar(aval: Aval): Var {
    return new Var(this.nextId++, aval);
  }

  /** The variable standing for `t` in this trace (capturing or constant-binding it). */
  lift(t: Tensor): Var {
    const node = t.node;
    if (node.kind === "traced") {
      if (node.builder === this) return node.v;
      if (!stack.includes(node.builder)) throw escaped(t);
      let c = this.captures.get(node.v);
      if (!c) {
        c = { v: this.newVar(t.aval), outer: t };
        this.captures.set(node.v, c);
      }
      return c.v;
    }
    let v = this.consts.get(t);
    if (!v) {
      v = this.newVar(t.aval);
      this.consts.set(t, v);
    }
    return v;
  }
}

const stack: Builder[] = [];

function escaped(t: Tensor): Error {
  return new Error(
    `a traced tensor (${t}) escaped its jit/grad/jvp and was used after the trace ended; ` +
      `return it from the traced function instead of storing it outside`,
  );
}

/**
 * Whether a trace is being recorded right now.
 *
 * @example
 * ```ts
 * isTracing(); // false at top level
 * ```
 */
export function isTracing(): boolean {
  return stack.length > 0;
}

/**
 * Wraps a backend buffer as a concrete tensor.
 *
 * @example
 * ```ts
 * const b = getBackend();
 * const t = concreteTensor(b, b.upload(host));
 * ```
 */
export function concreteTensor(backend: Backend, buffer: DeviceBuffer): Tensor {
  return new Tensor(buffer.aval, { kind: "concrete", backend, buffer });
}

/**
 * Applies a primitive: checks shapes through its shape rule, then records it (inside a trace)
 * or runs it on the inputs' backend.
 *
 * @example
 * ```ts
 * const y = bind("exp", [x], {});
 * ```
 */
export function bind<P extends Prim>(
  prim: P,
  inputs: readonly Tensor[],
  params: PrimParams[P],
): Tensor {
  const rule = ruleFor(prim);
  const out = rule.shape(inputs.map((t) => t.aval), params);
  const top = stack[stack.length - 1];
  if (top) {
    const vars = inputs.map((t) => top.lift(t));
    const v = top.newVar(out);
    top.eqns.push({ prim, params, inputs: vars, out: v } as Eqn);
    return new Tensor(out, { kind: "traced", builder: top, v });
  }
  for (const t of inputs) if (t.node.kind !== "concrete") throw escaped(t);
  const nodes = inputs.map((t) => t.node as ConcreteNode);
  let backend: Backend | undefined = nodes[0]?.backend;
  if (nodes.some((n) => n.backend !== backend)) {
    // inputs on several backends: compute on the active one, copying the others there
    backend = getBackend();
    const target = backend;
    for (const n of nodes) {
      if (n.backend !== target && !n.backend.readSync) {
        throw new Error(
          `${prim}: inputs live on backends "${n.backend.name}" and "${target.name}", and "${n.backend.name}" ` +
            `cannot be read synchronously; move them to one backend first`,
        );
      }
    }
  }
  const bufs = nodes.map((
    n,
  ) => (n.backend === backend ? n.buffer : backend!.upload(n.backend.readSync!(n.buffer))));
  const b = backend ?? getBackend();
  return concreteTensor(b, b.executeOp(prim, params, bufs, out));
}

/** A traced function: its graph and the outer tensors bound to its trailing capture inputs. */
export interface TracedGraph {
  /** The graph; inputs are the arguments, then the captures. */
  readonly graph: Graph<Tensor>;
  /** Number of explicit inputs; the rest of `graph.inputs` are captures. */
  readonly numArgs: number;
  /** Outer tensors (of enclosing traces) the function closed over, in input order. */
  readonly captured: readonly Tensor[];
}

/**
 * Traces a function of a flat list of tensors into a graph, with one input per abstract value.
 *
 * @example
 * ```ts
 * const { graph } = traceFlat((xs) => [xs[0].exp()], [{ shape: [3], dtype: "float32" }]);
 * ```
 */
export function traceFlat(
  f: (inputs: Tensor[]) => readonly Tensor[],
  avals: readonly Aval[],
): TracedGraph {
  const b = new Builder();
  const args = avals.map((a) => {
    const v = b.newVar(a);
    b.inputs.push(v);
    return new Tensor(a, { kind: "traced", builder: b, v });
  });
  stack.push(b);
  let outVars: Var[];
  try {
    const outs = f(args);
    outVars = outs.map((t) => {
      if (!(t instanceof Tensor)) {
        throw new TypeError(`a traced function returned ${String(t)} where a Tensor was expected`);
      }
      return b.lift(t);
    });
  } finally {
    stack.pop();
  }
  const caps = [...b.captures.values()];
  const consts: GraphConst<Tensor>[] = [...b.consts].map(([value, v]) => ({ v, value }));
  return {
    graph: {
      inputs: [...b.inputs, ...caps.map((c) => c.v)],
      consts,
      eqns: b.eqns,
      outputs: outVars,
    },
    numArgs: b.inputs.length,
    captured: caps.map((c) => c.outer),
  };
}

/**
 * Evaluates a graph on tensors equation by equation through `bind` (so it runs eagerly, or
 * inlines into an enclosing trace).
 *
 * @example
 * ```ts
 * const [y] = evalGraph(graph, [x]);
 * ```
 */
export function evalGraph(graph: Graph<Tensor>, args: readonly Tensor[]): Tensor[] {
  if (args.length !== graph.inputs.length) {
    throw new RangeError(
      `evalGraph: graph takes ${graph.inputs.length} inputs, got ${args.length}`,
    );
  }
  const env = new Map<Var, Tensor>();
  graph.inputs.forEach((v, i) => env.set(v, args[i]));
  for (const c of graph.consts) env.set(c.v, c.value);
  for (const e of graph.eqns) {
    env.set(e.out, bind(e.prim, e.inputs.map((v) => env.get(v)!), e.params));
  }
  return graph.outputs.map((v) => env.get(v)!);
}
