/**
 * Parameter trees: plain nested records and arrays with tensors at the leaves. Other leaves
 * (numbers, strings, booleans, null) are static structure. Flatten, unflatten and map.
 *
 * @module
 */

import { Tensor } from "./tensor.ts";

/** A tree of tensors: a tensor, an array of trees, a record of trees, or a static value. */
export type Tree =
  | Tensor
  | readonly Tree[]
  | { readonly [key: string]: Tree }
  | number
  | string
  | boolean
  | null
  | undefined;

/** The structure of a tree with its tensors taken out. */
export type TreeDef =
  | { readonly kind: "leaf" }
  | { readonly kind: "array"; readonly children: readonly TreeDef[] }
  | {
    readonly kind: "record";
    readonly keys: readonly string[];
    readonly children: readonly TreeDef[];
  }
  | { readonly kind: "static"; readonly value: number | string | boolean | null | undefined };

/** A flattened tree: its tensors in order and its structure. */
export interface Flat {
  /** The tensors, depth first (record keys sorted). */
  readonly leaves: Tensor[];
  /** Everything else. */
  readonly def: TreeDef;
}

function isRecord(x: unknown): x is Record<string, Tree> {
  if (typeof x !== "object" || x === null || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/**
 * Flattens a tree into its tensors (depth first, record keys sorted) and its structure.
 *
 * @example
 * ```ts
 * const { leaves, def } = flatten({ w: tensor([1]), b: tensor([2]) });
 * leaves.length; // 2 (b first: keys are sorted)
 * ```
 */
export function flatten(tree: Tree): Flat {
  const leaves: Tensor[] = [];
  const walk = (t: unknown, path: string): TreeDef => {
    if (t instanceof Tensor) {
      leaves.push(t);
      return { kind: "leaf" };
    }
    if (Array.isArray(t)) {
      return {
        kind: "array",
        children: t.map((c, i) => walk(c, `${path}[${i}]`)),
      };
    }
    if (isRecord(t)) {
      const keys = Object.keys(t).sort();
      return {
        kind: "record",
        keys,
        children: keys.map((k) => walk(t[k], path ? `${path}.${k}` : k)),
      };
    }
    if (t === null || t === undefined || ["number", "string", "boolean"].includes(typeof t)) {
      return { kind: "static", value: t as number | string | boolean | null | undefined };
    }
    const isKey = t instanceof Object && t.constructor?.name === "Key";
    const hint = isKey
      ? " (PRNG keys are not traced: draw the random tensor outside jit/grad and pass it in)"
      : "";
    const where = path || "(root)";
    throw new TypeError(
      `tree at "${where}": ${
        String(t)
      } is not a Tensor, array, plain record, or static value${hint}`,
    );
  };
  const def = walk(tree, "");
  return { leaves, def };
}

/**
 * Rebuilds a tree from its structure and tensors.
 *
 * @example
 * ```ts
 * const { leaves, def } = flatten(params);
 * const doubled = unflatten(def, leaves.map((t) => t.mul(2)));
 * ```
 */
export function unflatten<T extends Tree = Tree>(def: TreeDef, leaves: readonly Tensor[]): T {
  let i = 0;
  const build = (d: TreeDef): Tree => {
    switch (d.kind) {
      case "leaf":
        if (i >= leaves.length) {
          throw new RangeError(`unflatten: structure needs more than ${leaves.length} leaves`);
        }
        return leaves[i++];
      case "array":
        return d.children.map(build);
      case "record":
        return Object.fromEntries(d.keys.map((k, j) => [k, build(d.children[j])]));
      case "static":
        return d.value;
    }
  };
  const out = build(def);
  if (i !== leaves.length) {
    throw new RangeError(`unflatten: structure takes ${i} leaves, got ${leaves.length}`);
  }
  return out as T;
}

/**
 * A string that identifies a structure (equal structures, equal keys).
 *
 * @example
 * ```ts
 * defKey(flatten([tensor(1), 2]).def); // "[T,2]"
 * ```
 */
export function defKey(def: TreeDef): string {
  switch (def.kind) {
    case "leaf":
      return "T";
    case "array":
      return `[${def.children.map(defKey).join(",")}]`;
    case "record":
      return `{${
        def.keys.map((k, i) => `${JSON.stringify(k)}:${defKey(def.children[i])}`).join(",")
      }}`;
    case "static":
      return def.value === undefined ? "undefined" : JSON.stringify(def.value);
  }
}

/**
 * Applies `f` to every tensor of `tree` (and the matching tensors of `others`, which must have
 * the same structure), keeping the structure.
 *
 * @example
 * ```ts
 * const next = treeMap((p, g) => p.sub(g.mul(0.1)), params, grads);
 * ```
 */
export function treeMap<T extends Tree>(
  f: (x: Tensor, ...rest: Tensor[]) => Tensor,
  tree: T,
  ...others: Tree[]
): T {
  const { leaves, def } = flatten(tree);
  const key = defKey(def);
  const rest = others.map((o, j) => {
    const fo = flatten(o);
    if (defKey(fo.def) !== key) {
      throw new TypeError(`treeMap: tree ${j + 1} has a different structure than the first`);
    }
    return fo.leaves;
  });
  return unflatten<T>(def, leaves.map((x, i) => f(x, ...rest.map((r) => r[i]))));
}

/**
 * The tensors of a tree with dotted path names (`layers.0.w`), in flatten order.
 *
 * @example
 * ```ts
 * namedLeaves({ w: tensor([1]) }); // [["w", Tensor]]
 * ```
 */
export function namedLeaves(tree: Tree): [string, Tensor][] {
  const out: [string, Tensor][] = [];
  const walk = (t: unknown, path: string) => {
    if (t instanceof Tensor) out.push([path, t]);
    else if (Array.isArray(t)) t.forEach((c, i) => walk(c, path ? `${path}.${i}` : `${i}`));
    else if (isRecord(t)) {
      for (const k of Object.keys(t).sort()) walk(t[k], path ? `${path}.${k}` : k);
    }
  };
  walk(tree, "");
  return out;
}
