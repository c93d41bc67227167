/**
 * The objective registry: diagonal and consistency objectives by name. The built-ins register
 * through the same `registerObjective` door that plugins use.
 *
 * @module
 */

import type { Tensor } from "@mfm/tensor";
import type { Interpolant } from "@mfm/interpolants";
import type { DriftFn, VelocityFn } from "@mfm/flowmaps";
import { PLUGIN_API_VERSION, pluginObjective, registeredNames, use } from "@mfm/plugins";

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

/**
 * Registers one objective (a one-objective plugin through `use`); duplicates are rejected.
 *
 * @example
 * ```ts
 * registerObjective({ name: "shortcut", description: "…", kind: "consistency", needsTeacher: false, residual: (b) => … });
 * ```
 */
export function registerObjective(objective: Objective): void {
  use({
    name: `objective:${objective?.name}`,
    apiVersion: PLUGIN_API_VERSION,
    objectives: [objective],
  });
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
  return pluginObjective(name);
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
  return registeredNames("objectives").map(pluginObjective);
}
