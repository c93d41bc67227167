/**
 * The objective registry: diagonal and consistency objectives by name. The built-ins register
 * through the same `registerObjective` door that plugins use.
 *
 * @module
 */

import type { Tensor } from "@mfm/tensor";
import type { Interpolant } from "@mfm/interpolants";
import type { DriftFn, VelocityFn } from "@mfm/flowmaps";

/** One training draw, shared by the objectives (MATH-core §4.1, §4.3). All `[B]` or `[B, d]`. */
export interface ObjectiveBatch {
  /** The student's velocity v^θ(s, u, x, t, x_t). */
  readonly v: VelocityFn;
  /** The MFM's inner path. */
  readonly inner: Interpolant;
  /** The outer (context / teacher) path. */
  readonly outer: Interpolant;
  /** Data x_1. */
  readonly x1: Tensor;
  /** Context time t and state x_t = α_t x_0 + β_t x_1. */
  readonly t: Tensor;
  /** Context state. */
  readonly xt: Tensor;
  /** Inner times s ≤ u (s = u is the diagonal). */
  readonly s: Tensor;
  /** Inner end time. */
  readonly u: Tensor;
  /** Fresh inner noise x̄_0. */
  readonly xbar: Tensor;
  /** Uniform draws in [0, 1] (the semigroup's γ). */
  readonly gamma: Tensor;
  /** A pretrained drift for the teacher variants (GLASS). */
  readonly teacher?: DriftFn;
}

/**
 * An objective: the per-sample residual Δ = prediction − sg(target) `[B, d]` whose squared norm
 * is the loss (weighted by `adaptiveLoss`).
 */
export interface Objective {
  /** Registry name. */
  readonly name: string;
  /** One line for listings. */
  readonly description: string;
  /** `diagonal` terms train v_{s,s}; `consistency` terms use s < u. */
  readonly kind: "diagonal" | "consistency";
  /** Whether it needs `teacher`. */
  readonly needsTeacher: boolean;
  /** The residual. */
  residual(batch: ObjectiveBatch): Tensor;
}

const registry = new Map<string, Objective>();

/**
 * Registers an objective; duplicate names and malformed objectives are rejected.
 *
 * @example
 * ```ts
 * registerObjective({ name: "shortcut", description: "…", kind: "consistency", needsTeacher: false, residual: (b) => … });
 * ```
 */
export function registerObjective(objective: Objective): void {
  if (
    !objective || typeof objective.name !== "string" || !/^[a-z][a-z0-9_]*$/.test(objective.name)
  ) {
    throw new TypeError(
      `registerObjective: name ${JSON.stringify(objective?.name)} must be snake_case`,
    );
  }
  if (typeof objective.residual !== "function") {
    throw new TypeError(`registerObjective "${objective.name}": residual must be a function`);
  }
  if (objective.kind !== "diagonal" && objective.kind !== "consistency") {
    throw new TypeError(
      `registerObjective "${objective.name}": kind must be "diagonal" or "consistency"`,
    );
  }
  if (registry.has(objective.name)) {
    throw new Error(
      `registerObjective: an objective named "${objective.name}" is already registered`,
    );
  }
  registry.set(objective.name, objective);
}

/**
 * An objective by name; unknown names list the registered ones.
 *
 * @example
 * ```ts
 * const semigroup = getObjective("semigroup");
 * ```
 */
export function getObjective(name: string): Objective {
  const o = registry.get(name);
  if (!o) {
    throw new RangeError(
      `unknown objective "${name}": registered objectives are ${[...registry.keys()].join(", ")}`,
    );
  }
  return o;
}

/**
 * Every registered objective.
 *
 * @example
 * ```ts
 * listObjectives().map((o) => o.name);
 * ```
 */
export function listObjectives(): Objective[] {
  return [...registry.values()];
}
