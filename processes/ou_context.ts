/**
 * General-process contexts as plugins: a named problem to train on and an evaluation of the
 * trained sampler. The OU context is the exactness test — every conditional is Gaussian in
 * closed form.
 *
 * @module
 */

import { full, key, normal, type Tensor, tensor } from "@mfm/tensor";
import { mmd2 } from "@mfm/metrics";
import {
  type ContextModel,
  type ContextProblem,
  type ContextTrainOptions,
  ouContext,
  ouProblem,
} from "./context_mfm.ts";
import type { ImageGridOptions } from "@mfm/plots";
import type { ContextNetwork } from "./networks.ts";
import { OrnsteinUhlenbeck } from "./ou.ts";

/** What an evaluation returns: a Markdown report and named scores (printed as `name=value`). */
export interface ContextEvaluation {
  /** Markdown. */
  readonly report: string;
  /** Scores, e.g. `{ ou_mmd_ratio: 1.4, ou_cov90: 89.6 }`. */
  readonly metrics: Readonly<Record<string, number>>;
  /** Image grids to save as PNG (file stem → rows of images and how to draw them). */
  readonly pictures?: Readonly<Record<string, ContextPicture>>;
}

/** An image grid an evaluation asks to be saved. */
export interface ContextPicture {
  /** Rows of images. */
  readonly rows: readonly (readonly ArrayLike<number>[])[];
  /** Geometry, colours and labels. */
  readonly options: ImageGridOptions;
}

/** A general-process context: the problem a context MFM trains on and how to score it. */
export interface ProcessContext {
  /** One line for listings. */
  readonly description: string;
  /** Draws of (context features, prediction time, true state). */
  readonly problem: ContextProblem;
  /** The network family; default the MFM MLP (`training.hidden`, `training.depth`). */
  readonly network?: ContextNetwork;
  /** Training settings this context needs beyond the defaults (width, steerable, …). */
  readonly training?: Readonly<Omit<ContextTrainOptions, "steps" | "seed" | "onStep">>;
  /** Scores one-step samples of a trained model (`n` draws per setting, seeded). */
  evaluate(model: ContextModel, opts: { n: number; seed: number }): ContextEvaluation;
}

/**
 * The OU context: one observation (x_obs, t_obs), prediction time τ ∈ [0, 2]. The evaluation
 * standardises one-step draws by the exact conditional at five settings (soon after, far beyond,
 * before the observation; a short lag from a tail value) and reports MMD² against N(0, 1) draws
 * as a multiple of the sampling floor, and the coverage of 90 % intervals. By default the model
 * learns lag-scaled increments (`increments`) from pairs with a 1.5× wider x_obs law
 * (`obsScale`): both keep the exact conditional as the target (see `ouProblem`) and measurably
 * help at short lags and tail observations.
 *
 * @example
 * ```ts
 * const ctx = ouProcessContext();
 * const { metrics } = ctx.evaluate(mfm, { n: 2000, seed: 0 }); // ou_mmd_ratio, ou_cov90
 * ```
 */
export function ouProcessContext(
  params = { theta: 1, mu: 0, sigma: 1.2, dim: 1 },
  opts: { obsScale?: number; increments?: boolean } = { obsScale: 1.5, increments: true },
): ProcessContext {
  const ou = new OrnsteinUhlenbeck(params);
  const problem = ouProblem(ou, opts);
  return {
    description: `Ornstein–Uhlenbeck θ=${ou.theta} μ=${ou.mu} σ=${ou.sigma} (exact conditionals)${
      opts.increments ? "; lag-scaled increments" : ""
    }${(opts.obsScale ?? 1) !== 1 ? `; x_obs law ×${opts.obsScale}` : ""}`,
    problem,
    evaluate(model, { n, seed }) {
      const settings = [[1.2, 0.3, 0.5], [-0.8, 0.2, 1.9], [0.4, 1.5, 0.2], [2.0, 1.0, 1.05], [
        -1.5,
        0.5,
        1.2,
      ]];
      // the sampling floor: |MMD²| between two exact sets of the same size, averaged
      const floors = Array.from(
        { length: 8 },
        (_, r) => Math.abs(mmd2(normal(key(100 + r), [n, 1]), normal(key(200 + r), [n, 1]))),
      );
      const floor = floors.reduce((a, b) => a + b, 0) / floors.length;
      const rows: string[] = [];
      let mmdSum = 0;
      let covSum = 0;
      settings.forEach(([xo, to, tau], j) => {
        const { mean, variance } = ou.conditional([xo], tau - to);
        const sd = Math.sqrt(variance);
        const context = ouContext(
          tensor(Array.from({ length: n }, () => [xo])),
          full([n], to),
          full([n], tau),
        );
        const eps = normal(key(seed * 100 + j), [n, 1]);
        const y = model.sample(eps, full([n], tau), context);
        const draws: Tensor = problem.decode ? problem.decode(y, context) : y;
        const z = draws.sub(mean[0]).div(sd); // standardised: one floor for every setting
        const m = Math.abs(mmd2(z, normal(key(300 + j), [n, 1])));
        const zs = Array.from(z.dataSync());
        const cov = (100 * zs.filter((v) => Math.abs(v) < 1.645).length) / n;
        const zm = zs.reduce((a, v) => a + v, 0) / n;
        const zv = zs.reduce((a, v) => a + (v - zm) ** 2, 0) / n;
        mmdSum += m;
        covSum += cov;
        rows.push(
          `| ${xo} | ${to} | ${tau} | ${mean[0].toFixed(3)} ± ${sd.toFixed(3)} | ${
            zm.toFixed(3)
          } | ${zv.toFixed(3)} | ${m.toExponential(2)} | ${(m / floor).toFixed(2)} | ${
            cov.toFixed(1)
          } |`,
        );
      });
      const ratio = mmdSum / settings.length / floor;
      const cov90 = covSum / settings.length;
      const report = [
        `# OU context: one-step conditional samples vs the exact Gaussian conditional`,
        ``,
        `OU θ=${ou.theta} μ=${ou.mu} σ=${ou.sigma}; ${n} draws per setting.`,
        `z = (x − mean)/sd of the exact conditional; MMD² (unbiased) of z against N(0, 1) draws;`,
        `floor = mean |MMD²| of two exact sets of the same size (${floor.toExponential(2)}).`,
        ``,
        `| x_obs | t_obs | τ | exact mean ± sd | z mean | z var | MMD² | / floor | 90 % cover |`,
        `|---:|---:|---:|---:|---:|---:|---:|---:|---:|`,
        ...rows,
        ``,
        `mean MMD² / floor = ${ratio.toFixed(2)}; mean 90 % coverage = ${cov90.toFixed(1)} %`,
        ``,
      ].join("\n");
      return { report, metrics: { ou_mmd_ratio: ratio, ou_cov90: cov90 } };
    },
  };
}
