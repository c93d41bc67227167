/**
 * A third-party mfm plugin, written only against mfm's public exports: a new consistency
 * objective (the shortcut-model objective: one jump of size 2d must equal two jumps of size d)
 * and a new reward kind (a ring: r(x) = −(‖x‖ − radius)²/(2σ²)).
 *
 * Use it from the command line:
 *
 *     deno task train --plugin ./examples/shortcut/mod.ts --consistency shortcut
 *
 * @example
 * ```ts
 * import { use } from "@mfm/mfm";
 * import { plugin } from "./mod.ts";
 * use(plugin);
 * ```
 *
 * @module
 */

import {
  type Objective,
  type Plugin,
  PLUGIN_API_VERSION,
  type RewardModel,
  stopGradient,
  type Tensor,
} from "@mfm/mfm";

/** (s, u) → a midpoint jump: v_{s,u} ≈ sg(½ v_{s,m}(I_s) + ½ v_{m,u}(X_{s,m}(I_s))), m = (s+u)/2. */
const shortcut: Objective = {
  name: "shortcut",
  description:
    "shortcut models: the jump s→u equals the two half jumps (self-consistency at the midpoint)",
  kind: "consistency",
  needsTeacher: false,
  residual: (b) => {
    const c = b.inner.coefficients(b.s);
    const col = (v: Tensor) => v.reshape([-1, 1]);
    const is = b.xbar.mul(col(c.alpha)).add(b.x1.mul(col(c.beta)));
    const m = b.s.add(b.u).mul(0.5);
    const first = stopGradient(b.v(b.s, m, is, b.t, b.xt));
    const mid = is.add(first.mul(col(m.sub(b.s))));
    const second = stopGradient(b.v(m, b.u, mid, b.t, b.xt));
    return b.v(b.s, b.u, is, b.t, b.xt).sub(first.add(second).mul(0.5));
  },
};

/** A ring reward: r(x) = −(‖x‖ − radius)²/(2σ²). */
function ringReward(opts: Record<string, unknown>): RewardModel {
  const radius = Number(opts.radius ?? 3);
  const sigma = Number(opts.sigma ?? 0.5);
  if (!(radius > 0) || !(sigma > 0)) {
    throw new RangeError(`ring reward: radius ${radius} and sigma ${sigma} must be positive`);
  }
  return {
    name: `ring(r=${radius}, σ=${sigma})`,
    differentiable: true,
    reward: (x) =>
      x.square().sum(-1).add(1e-12).sqrt().sub(radius).square().mul(-1 / (2 * sigma * sigma)),
  };
}

/** The plugin value mfm loads (`--plugin ./examples/shortcut/mod.ts`). */
export const plugin: Plugin = {
  name: "example/shortcut",
  apiVersion: PLUGIN_API_VERSION,
  description: "shortcut-model objective and a ring reward (an example third-party plugin)",
  objectives: [shortcut],
  rewards: { ring: ringReward },
};
