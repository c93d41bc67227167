// The MFM-FT objective's fixed point is the tilted drift b* = b + (g²/2)∇V: iterating
// b̂ ← E[T(b̂)] with exact posterior draws (score-function term included) converges to it at the
// shared GMM test points.
import assert from "assert";
import "@mfm/backends/cpu";
import { mixtureDraws } from "../experiments/gmm/draws.ts";
import { gmmTestVectors } from "../experiments/gmm/vectors.ts";
import { full, key, tensor } from "@mfm/tensor";
import { linearInterpolant } from "@mfm/interpolants";
import { paperGmm } from "@mfm/datasets";
import { linearGaussianReward } from "@mfm/rewards";
import { ftTarget } from "@mfm/finetune";

const VECTORS = gmmTestVectors({ interior: true });

const gmm = paperGmm();
const reward = linearGaussianReward({ a: [1.2, -0.8], y: -1, sigma: 0.2 });
const exactDraws = mixtureDraws(gmm, linearInterpolant);

for (const gradient of ["pathwise", "score"] as const) {
  Deno.test(`the MFM-FT target's fixed point is b* at the shared GMM test points (${gradient} ∇e^r)`, () => {
    const n = 20000;
    // one state per time keeps the test short
    const points = VECTORS.filter((v, i) => VECTORS.findIndex((w) => w.t === v.t) === i);
    for (const v of points) {
      const t = full([n], v.t, "float64");
      const xt = tensor(Array.from({ length: n }, () => v.x), { dtype: "float64" });
      const base = tensor(Array.from({ length: n }, () => v["b=(D-x)/(1-t)"]), {
        dtype: "float64",
      });
      // a fixed offset keeps e^{r − offset} of order one (same fixed point)
      const r0 = reward.reward(exactDraws.draw(exactDraws.noise(key(1), n, 2), t, xt).x1)
        .dataSync();
      const offset = Math.log(Array.from(r0).reduce((a, b) => a + Math.exp(b), 0) / n);
      // b̂ ← mean T(b̂), iterated to its fixed point on each batch of draws; averaged over batches
      const fixedPoints: number[][] = [];
      for (let batch = 0; batch < 4; batch++) {
        const noise = exactDraws.noise(key(1000 * batch + Math.round(v.t * 100)), n, 2);
        let bhat = base;
        for (let i = 0; i < 8; i++) {
          const T = ftTarget({
            bhat,
            base,
            t,
            xt,
            draws: exactDraws,
            noise,
            reward,
            interpolant: linearInterpolant,
            offset,
            gradient,
          });
          bhat = T.mean(0, true).broadcastTo([n, 2]);
        }
        fixedPoints.push(Array.from(bhat.dataSync().slice(0, 2)));
      }
      const got = [0, 1].map((j) => fixedPoints.reduce((a, f) => a + f[j], 0) / fixedPoints.length);
      const want = v["b=(D-x)/(1-t)"].map((b, j) => b + v["(g2/2)gradV"][j]);
      const err = Math.hypot(got[0] - want[0], got[1] - want[1]);
      assert.ok(
        err < 0.03 * (1 + Math.hypot(...want)),
        `t=${v.t} x=${v.x}: b̂ ${got} vs b* ${want}`,
      );
    }
  });
}
