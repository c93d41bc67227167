/**
 * The "weather" context: forecast a stochastic advection–diffusion field (`AdvectionDiffusion`)
 * at τ = Δ + lag from the fields observed at 0 and Δ (or at Δ alone), with an unobserved wind.
 * Scored by the fair ensemble CRPS and spread–skill against the simulated truth, beside an
 * oracle ensemble of true simulations (which knows the wind), persistence and climatology; and
 * steered: a reward on the forecast (the mean over a region) tilts one context's forecast with
 * MFM-G, checked against the exact tilt of the Gaussian conditional.
 *
 * @module
 */

import {
  erfNumber,
  type Key,
  key,
  normal,
  sliceAxis,
  split,
  sum,
  type Tensor,
  tensor,
} from "@mfm/tensor";
import { crps, spreadSkill } from "@mfm/metrics";
import { linearInterpolant } from "@mfm/interpolants";
import type { RewardModel } from "@mfm/rewards";
import { mfmDraws, mfmG, steeredOde } from "@mfm/steering";
import type { ContextModel, ContextProblem } from "./context_mfm.ts";
import {
  AdvectionDiffusion,
  type AdvectionDiffusionOptions,
  weatherScenarios,
} from "./advection.ts";
import type { ContextEvaluation, ContextPicture, ProcessContext } from "./ou_context.ts";

const f32 = (a: ArrayLike<number>, shape: number[]) => tensor(Float32Array.from(a), { shape });

/** Options of `weatherProcessContext`. */
export interface WeatherContextOptions extends AdvectionDiffusionOptions {
  /** Time between the two observed fields; default 0.5. */
  delta?: number;
  /** Longest forecast lag; default 2. */
  maxLag?: number;
  /** Fraction of training contexts with the first field withheld; default 0.25. */
  oneFieldRate?: number;
}

/**
 * The weather problem: context = (field at 0 or zeros, field at Δ, both-observed flag, lag);
 * target = the lag-scaled increment (x_τ − x_Δ)/√(lag + 0.01), decoded back to x_τ.
 *
 * @example
 * ```ts
 * const problem = weatherProblem(new AdvectionDiffusion(), { delta: 0.5, maxLag: 2 });
 * ```
 */
export function weatherProblem(
  w: AdvectionDiffusion,
  opts: { delta: number; maxLag: number; oneFieldRate?: number },
): ContextProblem & { pack(s: ReturnType<typeof weatherScenarios>): Tensor } {
  const S = w.size;
  const pack = (s: ReturnType<typeof weatherScenarios>) => {
    const n = s.lag.length;
    const out = new Float32Array(n * (2 * S + 2));
    for (let i = 0; i < n; i++) {
      const o = i * (2 * S + 2);
      out.set(s.first.subarray(i * S, (i + 1) * S), o);
      out.set(s.second.subarray(i * S, (i + 1) * S), o + S);
      out[o + 2 * S] = s.both[i];
      out[o + 2 * S + 1] = s.lag[i];
    }
    return tensor(out, { shape: [n, 2 * S + 2] });
  };
  const scale = (context: Tensor) => {
    const n = context.shape[0];
    return sliceAxis(context, 1, 2 * S + 1, 2 * S + 2).reshape([n, 1]).add(0.01).sqrt();
  };
  const last = (context: Tensor) => sliceAxis(context, 1, S, 2 * S);
  return {
    dim: S,
    contextDim: 2 * S + 2,
    pack,
    sample: (k: Key, n: number) => {
      const s = weatherScenarios(w, k, n, opts);
      const context = pack(s);
      const tau = f32(s.lag.map((l) => opts.delta + l), [n]);
      const target = f32(s.truth, [n, S]).sub(last(context)).div(scale(context));
      return { context, tau, target };
    },
    decode: (y: Tensor, context: Tensor) => last(context).add(y.mul(scale(context))),
  };
}

interface Setting {
  readonly lag: number;
  readonly both: boolean;
}

/**
 * The weather context (12×12 grid, Δ = 0.5, lags up to 2, a quarter of contexts with one field).
 * It trains a steerable model (the what-if forecasts need posterior draws given the forecast
 * flow's state).
 *
 * @example
 * ```ts
 * const ctx = weatherProcessContext();
 * const { metrics } = ctx.evaluate(model, { n: 2000, seed: 0 }); // weather_crps, …
 * ```
 */
export function weatherProcessContext(opts: WeatherContextOptions = {}): ProcessContext {
  const { delta = 0.5, maxLag = 2, oneFieldRate = 0.25, ...physics } = opts;
  const w = new AdvectionDiffusion(physics);
  const problem = weatherProblem(w, { delta, maxLag, oneFieldRate });
  return {
    description: `advection–diffusion field ${w.grid}×${w.grid} (|k| ≤ ${
      Math.max(...w.waves.map(([a]) => a))
    }), wind speed ${w.speed[0]}–${
      w.speed[1]
    }, Δ=${delta}, lags ≤ ${maxLag}, one-field rate ${oneFieldRate}; lag-scaled increments; steerable`,
    problem,
    training: { steerable: true, hidden: 256, depth: 3, batch: 256, lr: 1e-3, zeroRate: 0.3 },
    evaluate(model, { n, seed }) {
      return evaluateWeather(w, problem, model, { n, seed, delta, maxLag });
    },
  };
}

/** Forecast scores per setting and the what-if steering check. */
function evaluateWeather(
  w: AdvectionDiffusion,
  problem: ReturnType<typeof weatherProblem>,
  model: ContextModel,
  opts: { n: number; seed: number; delta: number; maxLag: number },
): ContextEvaluation {
  const S = w.size;
  const m = 32; // ensemble members
  const contexts = Math.max(8, Math.round(opts.n / 40));
  const settings: Setting[] = [0.25, 1, opts.maxLag].flatMap((lag) => [
    { lag, both: true },
    { lag, both: false },
  ]);
  const root = key(opts.seed + 4242);
  const rows: string[] = [];
  const totals = { model: 0, oracle: 0, persistence: 0, climatology: 0 };
  const spread = { model: 0, oracle: 0 };
  const picture: number[][][] = [];
  settings.forEach((st, j) => {
    const [ks, ke, ko, kw, kc] = split(foldKey(root, j), 5);
    const s = weatherScenarios(w, ks, contexts, {
      delta: opts.delta,
      maxLag: opts.maxLag,
      oneFieldRate: st.both ? 0 : 1,
      lags: new Float64Array(contexts).fill(st.lag),
    });
    const context = problem.pack(s);
    // members: every context repeated m times
    const rep = context.reshape([contexts, 1, 2 * S + 2]).broadcastTo([contexts, m, 2 * S + 2])
      .reshape([contexts * m, 2 * S + 2]);
    const tau = f32(new Float64Array(contexts * m).fill(opts.delta + st.lag), [contexts * m]);
    const y = model.sample(normal(ke, [contexts * m, S]), tau, rep);
    const ens = problem.decode!(y, rep).dataSync();
    // the oracle: true simulations from the state at Δ; the wind is known given two fields and
    // unknown (a fresh prior draw per member) given one
    const coef = new Float64Array(contexts * m * w.coefDim);
    const wind = new Float64Array(contexts * m * 2);
    const prior = w.winds(kw, contexts * m);
    for (let i = 0; i < contexts; i++) {
      for (let r = 0; r < m; r++) {
        const row = i * m + r;
        coef.set(s.hidden.coef.subarray(i * w.coefDim, (i + 1) * w.coefDim), row * w.coefDim);
        const src = st.both
          ? s.hidden.wind.subarray(2 * i, 2 * i + 2)
          : prior.subarray(2 * row, 2 * row + 2);
        wind.set(src, 2 * row);
      }
    }
    const oracle = w.fields(w.advance(ko, coef, wind, new Float64Array(contexts * m).fill(st.lag)));
    const clim = w.fields(w.stationary(kc, m));
    const sc = { model: 0, oracle: 0, persistence: 0, climatology: 0 };
    const casesModel = [];
    const casesOracle = [];
    for (let i = 0; i < contexts; i++) {
      const truth = s.truth.subarray(i * S, (i + 1) * S);
      const mod = { ensemble: ens.subarray(i * m * S, (i + 1) * m * S), truth };
      const ora = { ensemble: oracle.subarray(i * m * S, (i + 1) * m * S), truth };
      const last = s.second.subarray(i * S, (i + 1) * S);
      sc.model += crps(mod);
      sc.oracle += crps(ora);
      sc.persistence += crps({ ensemble: [...last, ...last], truth });
      sc.climatology += crps({ ensemble: clim, truth });
      casesModel.push(mod);
      casesOracle.push(ora);
    }
    for (const k of Object.keys(sc) as (keyof typeof sc)[]) {
      sc[k] /= contexts;
      totals[k] += sc[k] / settings.length;
    }
    const ssModel = spreadSkill(casesModel);
    const ssOracle = spreadSkill(casesOracle);
    spread.model += ssModel / settings.length;
    spread.oracle += ssOracle / settings.length;
    rows.push(
      `| ${st.lag} | ${st.both ? "0, Δ" : "Δ"} | ${sc.model.toFixed(3)} | ${
        sc.oracle.toFixed(3)
      } | ${sc.persistence.toFixed(3)} | ${sc.climatology.toFixed(3)} | ${ssModel.toFixed(2)} | ${
        ssOracle.toFixed(2)
      } |`,
    );
    if (st.lag !== 0.25) {
      // one context per setting: observations, truth, oracle mean, model mean and three members
      const mean = (a: ArrayLike<number>) =>
        Array.from({ length: S }, (_, p) => {
          let acc = 0;
          for (let r = 0; r < m; r++) acc += a[r * S + p];
          return acc / m;
        });
      picture.push([
        Array.from(s.first.subarray(0, S)),
        Array.from(s.second.subarray(0, S)),
        Array.from(s.truth.subarray(0, S)),
        mean(oracle.subarray(0, m * S)),
        mean(ens.subarray(0, m * S)),
        ...[0, 1, 2].map((r) => Array.from(ens.subarray(r * S, (r + 1) * S))),
      ]);
    }
  });
  const whatIf = model.steerable ? steerWhatIf(w, problem, model, opts) : null;
  const report = [
    `# Weather context: ensemble forecasts of an advection–diffusion field`,
    ``,
    `${w.grid}×${w.grid} periodic field, pointwise stationary variance 1; the wind is drawn per`,
    `trajectory and not observed. Fields observed at 0 and Δ = ${opts.delta} ("0, Δ") or at Δ`,
    `alone ("Δ"); forecast at Δ + lag. ${contexts} contexts per row, ${m} members each.`,
    `CRPS: fair ensemble CRPS per grid value against the simulated truth (lower is better).`,
    `Oracle: ${m} true simulations from the true state at Δ (with the true wind given two fields,`,
    `prior winds given one) — the best achievable. Persistence: the field at Δ. Climatology:`,
    `${m} stationary fields. Spread–skill: 1 is calibrated, < 1 over-confident.`,
    ``,
    `| lag | observed | CRPS MFM | CRPS oracle | CRPS persistence | CRPS climatology | spread–skill MFM | spread–skill oracle |`,
    `|---:|---|---:|---:|---:|---:|---:|---:|`,
    ...rows,
    ``,
    `Mean CRPS: MFM ${totals.model.toFixed(3)}, oracle ${totals.oracle.toFixed(3)}, persistence ${
      totals.persistence.toFixed(3)
    }, climatology ${totals.climatology.toFixed(3)}; mean spread–skill MFM ${
      spread.model.toFixed(2)
    } (oracle ${spread.oracle.toFixed(2)}).`,
    ``,
    `weather_forecasts.png: per row (lag 1 and ${opts.maxLag}, two fields then one): field at 0,`,
    `field at Δ, truth, oracle mean, MFM mean, three MFM members.`,
    ``,
    ...(whatIf ? whatIf.report : ["(model not steerable: no what-if forecasts)"]),
    ``,
  ].join("\n");
  const pictures: Record<string, ContextPicture> = {
    weather_forecasts: {
      rows: picture,
      options: {
        height: w.grid,
        width: w.grid,
        scale: 8,
        range: [-2.5, 2.5],
        colormap: "diverging",
        colLabels: ["t=0", "t=Δ", "truth", "oracle", "MFM mean", "member", "member", "member"],
      },
    },
    ...(whatIf ? { weather_what_if: whatIf.picture } : {}),
  };
  return {
    report,
    metrics: {
      weather_crps: totals.model,
      weather_crps_oracle: totals.oracle,
      weather_crps_persistence: totals.persistence,
      weather_crps_climatology: totals.climatology,
      weather_spread_skill: spread.model,
      ...(whatIf?.metrics ?? {}),
    },
    pictures,
  };
}

function foldKey(k: Key, i: number): Key {
  return split(k, i + 1)[i];
}

/**
 * What if the region's mean ended up high? Tilt one two-field forecast by r(x) = λ·mean_R(x),
 * steer with MFM-G, and compare with the exact tilt: given the state and wind the forecast is
 * N(μ, Σ), and N(μ, Σ)e^{λwᵀx} ∝ N(μ + λΣw, Σ) — the region mean moves by λwᵀΣw.
 */
function steerWhatIf(
  w: AdvectionDiffusion,
  problem: ReturnType<typeof weatherProblem>,
  model: ContextModel,
  opts: { seed: number; delta: number },
): { report: string[]; metrics: Record<string, number>; picture: ContextPicture } {
  const S = w.size;
  const n = w.grid;
  const lag = 1.5;
  const particles = 256;
  const draws = 8;
  const s = weatherScenarios(w, key(opts.seed + 77), 1, {
    delta: opts.delta,
    maxLag: lag,
    oneFieldRate: 0,
    lags: [lag],
  });
  const region: number[] = [];
  for (let r = 4; r < 8; r++) for (let q = 4; q < 8; q++) region.push(r * n + q);
  const wv = new Float64Array(S);
  for (const p of region) wv[p] = 1 / region.length;
  const cov = w.fieldCovariance(lag);
  const sigmaW = new Float64Array(S);
  for (let p = 0; p < S; p++) for (const q of region) sigmaW[p] += cov[p * S + q] / region.length;
  const v = region.reduce((a, p) => a + sigmaW[p], 0) / region.length;
  const lambda = 1.5 / Math.sqrt(v); // the exact tilt moves the region mean by 1.5 sd
  const exactMean = w.fields(w.advance(null, s.hidden.coef, s.hidden.wind, [lag]));
  const regionMean = (x: ArrayLike<number>, i: number) =>
    region.reduce((a, p) => a + x[i * S + p], 0) / region.length;
  const mu = regionMean(exactMean, 0);
  const context = problem.pack(s);
  const decode = (y: Tensor) => {
    const b = y.shape[0];
    return problem.decode!(y, context.broadcastTo([b, context.shape[1]]));
  };
  const wT = f32(wv, [1, S]);
  const reward: RewardModel = {
    name: `${lambda.toFixed(2)}·region mean`,
    differentiable: true,
    reward: (y) => sum(decode(y).mul(wT), 1).mul(lambda),
  };
  const mfm = model.conditioned(context.reshape([2 * S + 2]), opts.delta + lag);
  const oneStep = decode(
    model.sample(
      normal(key(opts.seed + 5), [particles, S]),
      f32(new Float64Array(particles).fill(opts.delta + lag), [particles]),
      context.broadcastTo([particles, 2 * S + 2]),
    ),
  ).dataSync();
  // the steered and the unsteered ODE share their noise: their difference is the steering alone
  const est = mfmG(mfmDraws(mfm), reward, { n: draws, interpolant: linearInterpolant });
  const ode = { mfm, interpolant: linearInterpolant, steps: 40 };
  const base = decode(steeredOde(ode, key(opts.seed + 6), particles, S).samples).dataSync();
  const run = steeredOde({ ...ode, estimator: est }, key(opts.seed + 6), particles, S);
  const steered = decode(run.samples).dataSync();
  const avg = (x: ArrayLike<number>) =>
    Array.from({ length: S }, (_, p) => {
      let a = 0;
      for (let i = 0; i < particles; i++) a += x[i * S + p];
      return a / particles;
    });
  const baseMean = avg(base);
  const steeredMean = avg(steered);
  const regionOf = (x: ArrayLike<number>) =>
    Array.from({ length: particles }, (_, i) => regionMean(x, i));
  const rb = regionOf(base);
  const rs = regionOf(steered);
  const r1 = regionOf(oneStep);
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  const shift = mean(rs) - mean(rb);
  const exactShift = lambda * v;
  // field-wide: the steered − base mean against λΣw
  let num = 0;
  let den = 0;
  for (let p = 0; p < S; p++) {
    num += (steeredMean[p] - baseMean[p] - lambda * sigmaW[p]) ** 2;
    den += (lambda * sigmaW[p]) ** 2;
  }
  const fieldErr = Math.sqrt(num / den);
  const thr = mu + Math.sqrt(v);
  const frac = (a: number[]) => a.filter((x) => x > thr).length / a.length;
  const phi = (z: number) => 0.5 * (1 + erfNumber(z / Math.SQRT2));
  const exactBase = 1 - phi(1);
  const exactTilted = 1 - phi(1 - 1.5);
  const report = [
    `## What if: steering one forecast toward a high mean over a region (MFM-G)`,
    ``,
    `One two-field context, lag ${lag}; region = the 4×4 block at rows/cols 4–7; reward`,
    `r(x) = λ·mean_R(x) with λ = ${lambda.toFixed(3)} (the exact tilt moves the region mean by 1.5`,
    `sd). Steered PF-ODE (40 Euler steps) with MFM-G(${draws}) from the model's own posterior draws;`,
    `${particles} particles; NFE per sample ${run.nfe}; ${run.seconds.toFixed(1)} s.`,
    `Exact: given the state at Δ and the wind, the forecast is N(μ, Σ) and the tilt is`,
    `N(μ + λΣw, Σ); the region's sd is ${Math.sqrt(v).toFixed(3)}.`,
    ``,
    `| | region mean | P(region mean > exact μ_R + 1 sd) |`,
    `|---|---:|---:|`,
    `| exact forecast | ${mu.toFixed(3)} | ${exactBase.toFixed(3)} |`,
    `| MFM one-step forecast | ${mean(r1).toFixed(3)} | ${frac(r1).toFixed(3)} |`,
    `| MFM ODE forecast (40 steps, unsteered) | ${mean(rb).toFixed(3)} | ${frac(rb).toFixed(3)} |`,
    `| exact tilted | ${(mu + exactShift).toFixed(3)} | ${exactTilted.toFixed(3)} |`,
    `| MFM-G steered | ${mean(rs).toFixed(3)} | ${frac(rs).toFixed(3)} |`,
    ``,
    `Shift of the region mean: steered − unsteered ODE (same noise) ${
      shift.toFixed(3)
    } vs exact λwᵀΣw ${exactShift.toFixed(3)} (ratio ${
      (shift / exactShift).toFixed(2)
    }). Field-wide shift of the mean against λΣw:`,
    `relative L2 error ${fieldErr.toFixed(2)}.`,
    ``,
    `weather_what_if.png: rows = MFM ODE forecast, MFM-G steered; columns = mean, then four members;`,
    `last column of the second row: the exact tilted mean.`,
  ];
  const members = (x: ArrayLike<number>) =>
    [0, 1, 2, 3].map((i) => Array.from(x).slice(i * S, (i + 1) * S));
  const exactTiltedMean = Array.from(exactMean, (x, p) => x + lambda * sigmaW[p]);
  return {
    report,
    metrics: { weather_whatif_shift_ratio: shift / exactShift, weather_whatif_field_err: fieldErr },
    picture: {
      rows: [[baseMean, ...members(base)], [steeredMean, ...members(steered), exactTiltedMean]],
      options: {
        height: n,
        width: n,
        scale: 8,
        range: [-2.5, 2.5],
        colormap: "diverging",
        rowLabels: ["forecast", "steered"],
        colLabels: ["mean", "member", "member", "member", "member", "exact tilt"],
      },
    },
  };
}
