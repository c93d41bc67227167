/**
 * Forward and reverse mode: `jvp`, `vjp`, `grad`, `valueAndGrad`. Each traces the function to a
 * graph, then interprets the graph with the primitives' jvp or vjp rules through `bind` — so
 * the result is itself traceable and the transforms compose (grad of jvp, jvp of grad, …).
 *
 * @module
 */

import { isFloat } from "../dtype.ts";
import type { Var } from "../ir.ts";
import * as ops from "../ops.ts";
import { checkOptions } from "../options.ts";
import { ruleFor } from "../primitives/rules.ts";
import { defKey, flatten, type Tree, type TreeDef, unflatten } from "../pytree.ts";
import { fmtShape, shapesEqual } from "../shape.ts";
import { Tensor } from "../tensor.ts";
import { bind } from "../trace.ts";
import { traceTree } from "./trace_tree.ts";

/** Result of `jvp`: the function's value and its directional derivative, as trees. */
export interface JvpResult<R extends Tree> {
  /** The function's value. */
  readonly primal: R;
  /** Its derivative along the tangents. */
  readonly tangent: R;
}

/**
 * Forward mode: the value of `f` at `primals` and its derivative in the direction `tangents`
 * (trees of the same structure as `primals`).
 *
 * @example
 * ```ts
 * const { primal, tangent } = jvp((x: Tensor) => x.square(), [tensor(3)], [tensor(1)]);
 * tangent.item(); // 6
 * ```
 */
export function jvp<A extends Tree[], R extends Tree>(
  f: (...args: A) => R,
  primals: A,
  tangents: A,
): JvpResult<R> {
  if (!Array.isArray(primals) || !Array.isArray(tangents)) {
    throw new TypeError("jvp: primals and tangents must be arrays of arguments");
  }
  const tr = traceTree(f, primals);
  const ft = flatten(tangents as Tree);
  if (defKey(ft.def) !== defKey(tr.inDef)) {
    throw new TypeError("jvp: tangents must have the same structure as primals");
  }
  const env = new Map<Var, Tensor>();
  const tan = new Map<Var, Tensor>();
  const g = tr.graph;
  g.inputs.forEach((v, i) => {
    env.set(v, i < tr.numArgs ? tr.leaves[i] : tr.captured[i - tr.numArgs]);
    if (i >= tr.numArgs) return;
    const p = tr.leaves[i];
    const t = ft.leaves[i];
    if (!shapesEqual(p.shape, t.shape) || p.dtype !== t.dtype) {
      throw new TypeError(
        `jvp: tangent ${i} is ${t.dtype}${fmtShape(t.shape)} but its primal is ${p.dtype}${
          fmtShape(p.shape)
        }`,
      );
    }
    if (isFloat(p.dtype)) tan.set(v, t);
  });
  for (const c of g.consts) env.set(c.v, c.value);
  for (const e of g.eqns) {
    const primals = e.inputs.map((v) => env.get(v)!);
    const out = bind(e.prim, primals, e.params);
    env.set(e.out, out);
    const tangentsIn = e.inputs.map((v) => tan.get(v) ?? null);
    if (tangentsIn.every((t) => t === null)) continue;
    const t = ruleFor(e.prim).jvp({ primals, tangents: tangentsIn, out, params: e.params });
    if (t) tan.set(e.out, t);
  }
  const primalOut = g.outputs.map((v) => env.get(v)!);
  const tangentOut = g.outputs.map((v, i) => tan.get(v) ?? ops.zerosLike(primalOut[i]));
  return {
    primal: unflatten<R>(tr.outDef, primalOut),
    tangent: unflatten<R>(tr.outDef, tangentOut),
  };
}

/** Result of `vjp`: the value and a function from output cotangents to argument cotangents. */
export interface VjpResult<A extends Tree[], R extends Tree> {
  /** The function's value. */
  readonly primal: R;
  /** Cotangents of every argument (zeros where the output does not depend on it). */
  readonly backward: (cotangent: R) => A;
}

interface Linearized {
  readonly outs: Tensor[];
  readonly outDef: TreeDef;
  readonly inDef: TreeDef;
  /** Argument cotangents (flat) from output cotangents (flat; null = zero). */
  readonly backward: (cts: readonly (Tensor | null)[]) => Tensor[];
}

/** Runs `f` forward keeping every intermediate, and returns the reverse pass over them. */
function linearize(f: (...args: Tree[]) => Tree, args: readonly Tree[]): Linearized {
  const tr = traceTree(f, args);
  const g = tr.graph;
  const env = new Map<Var, Tensor>();
  const active = new Set<Var>();
  g.inputs.forEach((v, i) => {
    env.set(v, i < tr.numArgs ? tr.leaves[i] : tr.captured[i - tr.numArgs]);
    if (i < tr.numArgs && isFloat(v.aval.dtype)) active.add(v);
  });
  for (const c of g.consts) env.set(c.v, c.value);
  for (const e of g.eqns) {
    env.set(e.out, bind(e.prim, e.inputs.map((v) => env.get(v)!), e.params));
    if (isFloat(e.out.aval.dtype) && e.inputs.some((v) => active.has(v))) active.add(e.out);
  }
  const backward = (cts: readonly (Tensor | null)[]): Tensor[] => {
    const ct = new Map<Var, Tensor>();
    const accumulate = (v: Var, c: Tensor) => {
      const prev = ct.get(v);
      ct.set(v, prev ? ops.add(prev, c) : c);
    };
    g.outputs.forEach((v, i) => {
      const c = cts[i];
      if (!c) return;
      if (!shapesEqual(c.shape, v.aval.shape) || c.dtype !== v.aval.dtype) {
        throw new TypeError(
          `vjp backward: cotangent ${i} is ${c.dtype}${
            fmtShape(c.shape)
          }, expected ${v.aval.dtype}${fmtShape(v.aval.shape)}`,
        );
      }
      if (active.has(v)) accumulate(v, c);
    });
    for (let k = g.eqns.length - 1; k >= 0; k--) {
      const e = g.eqns[k];
      const c = ct.get(e.out);
      if (!c || !active.has(e.out)) continue;
      const needs = e.inputs.map((v) => active.has(v));
      const cin = ruleFor(e.prim).vjp({
        ct: c,
        primals: e.inputs.map((v) => env.get(v)!),
        out: env.get(e.out)!,
        params: e.params,
        needs,
      });
      e.inputs.forEach((v, i) => {
        const ci = cin[i];
        if (ci && needs[i]) accumulate(v, ci);
      });
    }
    return g.inputs.slice(0, tr.numArgs).map((v, i) => ct.get(v) ?? ops.zerosLike(tr.leaves[i]));
  };
  return { outs: g.outputs.map((v) => env.get(v)!), outDef: tr.outDef, inDef: tr.inDef, backward };
}

/**
 * Reverse mode: the value of `f` and its pullback. The forward values are kept for the
 * backward pass (no recomputation).
 *
 * @example
 * ```ts
 * const { primal, backward } = vjp((x: Tensor) => x.exp(), tensor([0, 1]));
 * const [gx] = backward(ones([2]));
 * ```
 */
export function vjp<A extends Tree[], R extends Tree>(
  f: (...args: A) => R,
  ...args: A
): VjpResult<A, R> {
  const lin = linearize(f as unknown as (...args: Tree[]) => Tree, args);
  const backward = (cotangent: R): A => {
    const fc = flatten(cotangent);
    if (defKey(fc.def) !== defKey(lin.outDef)) {
      throw new TypeError("vjp backward: the cotangent must have the structure of the output");
    }
    return unflatten<A>(lin.inDef, lin.backward(fc.leaves));
  };
  return { primal: unflatten<R>(lin.outDef, lin.outs), backward };
}

/** Options of `grad` and `valueAndGrad`. */
export interface GradOptions {
  /** Which arguments to differentiate: one index (default 0) or several. */
  argnums?: number | readonly number[];
  /** `f` returns `{ value, aux }`: differentiate `value`, pass `aux` through. */
  hasAux?: boolean;
}

/** Result of `valueAndGrad`. */
export interface ValueAndGrad<G> {
  /** The function's value. */
  readonly value: Tensor;
  /** Gradient with respect to the chosen arguments. */
  readonly grad: G;
  /** What the function returned beside the value (with `hasAux`). */
  readonly aux?: Tree;
}

function scalarLoss(out: Tree, hasAux: boolean): { value: Tensor; aux?: Tree } {
  let value: Tree;
  let aux: Tree | undefined;
  if (hasAux) {
    const rec = out as { value?: Tree; aux?: Tree };
    if (typeof rec !== "object" || rec === null || !("value" in rec)) {
      throw new TypeError("grad with hasAux: the function must return { value, aux }");
    }
    value = rec.value;
    aux = rec.aux;
  } else value = out;
  if (!(value instanceof Tensor) || value.size !== 1 || !isFloat(value.dtype)) {
    const got = value instanceof Tensor ? `${value.dtype}${fmtShape(value.shape)}` : String(value);
    throw new TypeError(`grad: the function must return a float scalar (one element), got ${got}`);
  }
  return { value, aux };
}

/**
 * The value of a scalar function and its gradient with respect to the chosen arguments (trees
 * of parameters or plain input tensors). The gradient has the type of the argument (or, for
 * several `argnums`, an array of them).
 *
 * @example
 * ```ts
 * const loss = (p: { w: Tensor }, x: Tensor) => x.matmul(p.w).square().mean();
 * const { value, grad } = valueAndGrad(loss)({ w }, x); // grad: { w: Tensor }
 * ```
 */
export function valueAndGrad<A extends Tree[], N extends number = 0>(
  f: (...args: A) => Tree,
  opts?: GradOptions & { argnums?: N },
): (...args: A) => ValueAndGrad<A[N]>;
/** `valueAndGrad` with several `argnums`: the gradient is an array, one entry per index. */
export function valueAndGrad<A extends Tree[]>(
  f: (...args: A) => Tree,
  opts: GradOptions & { argnums: readonly number[] },
): (...args: A) => ValueAndGrad<Tree[]>;
export function valueAndGrad<A extends Tree[]>(
  f: (...args: A) => Tree,
  opts: GradOptions = {},
): (...args: A) => ValueAndGrad<Tree> {
  checkOptions(opts, ["argnums", "hasAux"], "grad");
  const hasAux = opts.hasAux ?? false;
  const argnums = opts.argnums ?? 0;
  const list = typeof argnums === "number" ? [argnums] : [...argnums];
  return (...args: A) => {
    for (const a of list) {
      if (!Number.isInteger(a) || a < 0 || a >= args.length) {
        throw new RangeError(`grad: argnums ${a} is out of range for ${args.length} arguments`);
      }
    }
    const lin = linearize((...xs: Tree[]) => {
      const r = scalarLoss(f(...(xs as A)), hasAux);
      return [r.value, r.aux];
    }, args);
    const value = lin.outs[0];
    const all = unflatten<Tree[]>(lin.inDef, lin.backward([ops.onesLike(value)]));
    const grad: Tree = typeof argnums === "number" ? all[argnums] : list.map((i) => all[i]);
    if (!hasAux) return { value, grad };
    const [, aux] = unflatten<[Tensor, Tree]>(lin.outDef, lin.outs);
    return { value, grad, aux };
  };
}

/**
 * The gradient of a scalar function with respect to the chosen arguments, typed like the
 * argument (an array of them for several `argnums`).
 *
 * @example
 * ```ts
 * const df = grad((x: Tensor) => x.square().sum());
 * df(tensor([1, 2])).toArray(); // [2, 4]
 * ```
 */
export function grad<A extends Tree[], N extends number = 0>(
  f: (...args: A) => Tree,
  opts?: GradOptions & { argnums?: N },
): (...args: A) => A[N];
/** `grad` with several `argnums`: an array of gradients, one per index. */
export function grad<A extends Tree[]>(
  f: (...args: A) => Tree,
  opts: GradOptions & { argnums: readonly number[] },
): (...args: A) => Tree[];
export function grad<A extends Tree[]>(
  f: (...args: A) => Tree,
  opts: GradOptions = {},
): (...args: A) => Tree {
  const vg = valueAndGrad(f, opts as GradOptions & { argnums: readonly number[] });
  return (...args: A) => vg(...args).grad;
}
