/**
 * The built-in objectives (MATH-core §4.2, §4.3 Table 1, §5): the diagonal loss from data or from
 * a GLASS teacher, and every consistency objective — Eulerian, Lagrangian, Mean Flow, semigroup
 * (self) and Eulerian / Lagrangian (teacher). Each returns Δ = prediction − sg(target).
 *
 * @module
 */

import { jvp, onesLike, stopGradient, type Tensor, zerosLike } from "@mfm/tensor";
import { interpolate, perSample } from "@mfm/interpolants";
import { glassDrift } from "@mfm/flowmaps";
import { PLUGIN_API_VERSION, use } from "@mfm/plugins";
import type { Objective, ObjectiveBatch } from "./registry.ts";

/** The built-in objectives, registered below through the plugin door like any plugin's. */
export const BUILTIN_OBJECTIVES: Objective[] = [];
const builtin = (o: Objective) => BUILTIN_OBJECTIVES.push(o);

const sg = stopGradient;

function teacherOf(b: ObjectiveBatch, name: string) {
  if (!b.teacher) {
    throw new Error(`objective "${name}" needs a teacher drift (distillation through GLASS)`);
  }
  return b.teacher;
}

/** The auxiliary state I_s and its velocity İ_s for the batch's (s, x̄, x_1). */
function auxiliary(b: ObjectiveBatch): { is: Tensor; dIs: Tensor } {
  const { xt: is, velocity: dIs } = interpolate(b.inner, b.s, b.xbar, b.x1);
  return { is, dIs };
}

/** b̄^T_σ(x) from the teacher through GLASS, detached. */
function glassTarget(b: ObjectiveBatch, x: Tensor, sigma: Tensor, name: string): Tensor {
  return sg(
    glassDrift(x, sigma, b.t, b.xt, teacherOf(b, name), { outer: b.outer, inner: b.inner }),
  );
}

/** X_{s,u}(x) as a function of (s, u, x) with the batch's context. */
const mapOf = (b: ObjectiveBatch) => (s: Tensor, u: Tensor, x: Tensor) =>
  x.add(b.v(s, u, x, b.t, b.xt).mul(perSample(u.sub(s), x)));
const velOf = (b: ObjectiveBatch) => (s: Tensor, u: Tensor, x: Tensor) => b.v(s, u, x, b.t, b.xt);

/** v_{s,u}(I_s) − sg(w + (u−s)[∂_s v + ∇v·w]) for a base velocity w (Mean-Flow form, T2/T5). */
function meanFlowResidual(b: ObjectiveBatch, is: Tensor, w: Tensor): Tensor {
  const { primal, tangent } = jvp(velOf(b), [b.s, b.u, is], [onesLike(b.s), zerosLike(b.u), w]);
  return primal.sub(sg(w.add(tangent.mul(perSample(b.u.sub(b.s), tangent)))));
}

/** X_{s,u}(I_s) and ∂_u X_{s,u}(I_s) (gradients flow through both; T3/T4). */
function mapAndDu(b: ObjectiveBatch, is: Tensor): { X: Tensor; dXdu: Tensor } {
  const { primal, tangent } = jvp(mapOf(b), [b.s, b.u, is], [
    zerosLike(b.s),
    onesLike(b.u),
    zerosLike(is),
  ]);
  return { X: primal, dXdu: tangent };
}

builtin({
  name: "diagonal",
  description:
    "(31) v_{s,s}(I_s; t, x_t) regressed on the sample velocity İ_s (coupled interpolants)",
  kind: "diagonal",
  needsTeacher: false,
  residual: (b) => {
    const { is, dIs } = auxiliary(b);
    return b.v(b.s, b.s, is, b.t, b.xt).sub(dIs);
  },
});

builtin({
  name: "diagonal_teacher",
  description: "(32) v_{s,s}(I_s; t, x_t) regressed on the GLASS drift of a pretrained teacher",
  kind: "diagonal",
  needsTeacher: true,
  residual: (b) => {
    const { is } = auxiliary(b);
    return b.v(b.s, b.s, is, b.t, b.xt).sub(glassTarget(b, is, b.s, "diagonal_teacher"));
  },
});

builtin({
  name: "semigroup",
  description: "T6 v_{s,u} vs sg(γ v_{s,w} + (1−γ) v_{w,u}(X_{s,w})), w = s + γ(u − s)",
  kind: "consistency",
  needsTeacher: false,
  residual: (b) => {
    const { is } = auxiliary(b);
    const w = b.s.add(b.gamma.mul(b.u.sub(b.s)));
    const vsw = sg(b.v(b.s, w, is, b.t, b.xt));
    const xsw = is.add(vsw.mul(perSample(w.sub(b.s), is)));
    const g = perSample(b.gamma, is);
    const target = sg(vsw.mul(g).add(b.v(w, b.u, xsw, b.t, b.xt).mul(g.neg().add(1))));
    return b.v(b.s, b.u, is, b.t, b.xt).sub(target);
  },
});

builtin({
  name: "mean_flow",
  description: "T5 v_{s,u} vs sg(İ_s + (u−s)[∂_s v + ∇v·İ_s]) (one jvp)",
  kind: "consistency",
  needsTeacher: false,
  residual: (b) => {
    const { is, dIs } = auxiliary(b);
    return meanFlowResidual(b, is, dIs);
  },
});

builtin({
  name: "eulerian",
  description: "T1 ∂_s X_{s,u}(I_s) + sg(∇X_{s,u}(I_s)·v_{s,s}(I_s)) (two jvps)",
  kind: "consistency",
  needsTeacher: false,
  residual: (b) => {
    const { is } = auxiliary(b);
    const X = mapOf(b);
    const vss = sg(b.v(b.s, b.s, is, b.t, b.xt));
    const dS = jvp(X, [b.s, b.u, is], [onesLike(b.s), zerosLike(b.u), zerosLike(is)]).tangent;
    const dX = jvp(X, [b.s, b.u, is], [zerosLike(b.s), zerosLike(b.u), vss]).tangent;
    return dS.add(sg(dX));
  },
});

builtin({
  name: "eulerian_teacher",
  description: "T2 v_{s,u} vs sg(b̄ᵀ_s + (u−s)[∂_s v + ∇v·b̄ᵀ_s]) with the GLASS teacher drift",
  kind: "consistency",
  needsTeacher: true,
  residual: (b) => {
    const { is } = auxiliary(b);
    return meanFlowResidual(b, is, glassTarget(b, is, b.s, "eulerian_teacher"));
  },
});

builtin({
  name: "lagrangian",
  description: "T3 ∂_u X_{s,u}(I_s) vs sg(v_{u,u}(X_{s,u}(I_s))) (Boffi stop-gradient placement)",
  kind: "consistency",
  needsTeacher: false,
  residual: (b) => {
    const { is } = auxiliary(b);
    const { X, dXdu } = mapAndDu(b, is);
    return dXdu.sub(sg(b.v(b.u, b.u, sg(X), b.t, b.xt)));
  },
});

builtin({
  name: "lagrangian_teacher",
  description: "T4 ∂_u X_{s,u}(I_s) vs sg(b̄ᵀ_u(X_{s,u}(I_s))) with the GLASS teacher drift",
  kind: "consistency",
  needsTeacher: true,
  residual: (b) => {
    const { is } = auxiliary(b);
    const { X, dXdu } = mapAndDu(b, is);
    return dXdu.sub(glassTarget(b, sg(X), b.u, "lagrangian_teacher"));
  },
});

use({
  name: "mfm/objectives",
  apiVersion: PLUGIN_API_VERSION,
  description: "built-in diagonal and consistency objectives (MATH-core Table 1)",
  objectives: BUILTIN_OBJECTIVES,
});
