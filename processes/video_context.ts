/**
 * The "video" context: predict the frame of a moving digit (`MovingDigits`) at τ = Δ + lag from
 * the frames at 0 and Δ. Trained on MNIST training digits, scored on test digits: the fair
 * ensemble CRPS per pixel against the simulated truth, beside an oracle ensemble of true
 * simulations (which knows the velocity), persistence (the frame at Δ) and the mean frame; and
 * PNG strips of the truth and of one-step samples at several lags.
 *
 * @module
 */

import { key, normal, split, type Tensor, tensor, uniformArray } from "@mfm/tensor";
import { loadMnistSync } from "@mfm/datasets";
import { crps, spreadSkill } from "@mfm/metrics";
import type { ContextModel, ContextProblem } from "./context_mfm.ts";
import { type DigitStates, MovingDigits, type MovingDigitsOptions } from "./moving_digits.ts";
import type { ContextEvaluation, ContextPicture, ProcessContext } from "./ou_context.ts";
import { imageContextNetwork } from "./networks.ts";

/** Options of `videoProcessContext`. */
export interface VideoContextOptions extends MovingDigitsOptions {
  /** Time between the observed frames; default 0.5. */
  delta?: number;
  /** Longest lag; default 2. */
  maxLag?: number;
}

/** Clips at 0, Δ and Δ + lag, packed as contexts (frame 0, frame Δ, lag). */
function clips(
  v: MovingDigits,
  k: ReturnType<typeof key>,
  lags: Float64Array,
  delta: number,
): { context: Tensor; truth: Float64Array; last: Float64Array; atDelta: DigitStates } {
  const n = lags.length;
  const [k0, k1, k2] = split(k, 3);
  const s0 = v.start(k0, n);
  const s1 = v.advance(k1, s0, new Float64Array(n).fill(delta));
  const s2 = v.advance(k2, s1, lags);
  const [f0, f1] = [v.render(s0), v.render(s1)];
  const S = v.size;
  const ctx = new Float32Array(n * (2 * S + 1));
  for (let i = 0; i < n; i++) {
    ctx.set(f0.subarray(i * S, (i + 1) * S), i * (2 * S + 1));
    ctx.set(f1.subarray(i * S, (i + 1) * S), i * (2 * S + 1) + S);
    ctx[i * (2 * S + 1) + 2 * S] = lags[i];
  }
  return {
    context: tensor(ctx, { shape: [n, 2 * S + 1] }),
    truth: v.render(s2),
    last: f1,
    atDelta: s1,
  };
}

/**
 * The video context (20×20 frames, Δ = 0.5, lags up to 2).
 *
 * @example
 * ```ts
 * const ctx = videoProcessContext();
 * const batch = ctx.problem.sample(key(0), 8); // contexts [8, 801], τ, target frames [8, 400]
 * ```
 */
export function videoProcessContext(opts: VideoContextOptions = {}): ProcessContext {
  const { delta = 0.5, maxLag = 2, ...motion } = opts;
  let train: MovingDigits | undefined; // loaded on first use: registering costs nothing
  const frame = motion.frame ?? 20;
  const S = frame * frame;
  const problem: ContextProblem = {
    dim: S,
    contextDim: 2 * S + 1,
    sample: (k, n) => {
      train ??= new MovingDigits(loadMnistSync("train"), motion);
      const [kl, kc] = split(k);
      const lags = Float64Array.from(uniformArray(kl, n), (u) => maxLag * u);
      const c = clips(train, kc, lags, delta);
      return {
        context: c.context,
        tau: tensor(Float32Array.from(lags, (l) => delta + l), { shape: [n] }),
        target: tensor(Float32Array.from(c.truth), { shape: [n, S] }),
      };
    },
  };
  return {
    description: `moving MNIST digit in ${frame}×${frame} frames, speed ${
      (motion.speed ?? [1.5, 3]).join("–")
    } px, jitter ${motion.jitter ?? 0.6}, Δ=${delta}, lags ≤ ${maxLag}`,
    problem,
    network: imageContextNetwork({ side: frame, frames: 2, channels: [16, 32] }),
    training: { batch: 64, lr: 1e-3, consistencyFraction: 0.25 },
    evaluate(model, { n, seed }) {
      const test = new MovingDigits(loadMnistSync("test"), motion);
      return evaluateVideo(test, model, { n, seed, delta, maxLag });
    },
  };
}

function evaluateVideo(
  v: MovingDigits,
  model: ContextModel,
  opts: { n: number; seed: number; delta: number; maxLag: number },
): ContextEvaluation {
  const S = v.size;
  const m = 16; // ensemble members
  const contexts = Math.max(8, Math.round(opts.n / 60));
  const lagsShown = [0.5, 1, 1.5, opts.maxLag];
  const root = key(opts.seed + 9090);
  // the mean-frame baseline: the average of many frames (a blur over positions and digits)
  const meanFrame = new Float64Array(S);
  {
    const many = v.render(v.start(split(root, 3)[2], 2000));
    for (let i = 0; i < 2000; i++) {
      for (let p = 0; p < S; p++) meanFrame[p] += many[i * S + p] / 2000;
    }
  }
  const rows: string[] = [];
  const totals = { model: 0, oracle: 0, persistence: 0, mean: 0 };
  let ssTotal = 0;
  const scored = [0.5, 1, opts.maxLag];
  const samplesAt = (context: Tensor, lag: number, k: ReturnType<typeof key>, count: number) => {
    const reps = context.shape[0] * count;
    const c = context.shape[1];
    const rep = context.reshape([context.shape[0], 1, c]).broadcastTo([context.shape[0], count, c])
      .reshape([reps, c]);
    const tau = tensor(new Float32Array(reps).fill(opts.delta + lag), { shape: [reps] });
    return model.sample(normal(k, [reps, S]), tau, rep).maximum(-1).minimum(1).dataSync();
  };
  scored.forEach((lag, j) => {
    const [kc, ke, ko] = split(split(root, j + 4)[j], 3);
    const c = clips(v, kc, new Float64Array(contexts).fill(lag), opts.delta);
    const ens = samplesAt(c.context, lag, ke, m);
    // the oracle: m true continuations of each clip from its state at Δ (velocity known)
    const rep = (a: ArrayLike<number>, w: number) =>
      Float64Array.from(
        { length: contexts * m * w },
        (_, q) => a[Math.floor(q / (m * w)) * w + (q % w)],
      );
    const states: DigitStates = {
      digit: Int32Array.from(
        { length: contexts * m },
        (_, q) => c.atDelta.digit[Math.floor(q / m)],
      ),
      pos: rep(c.atDelta.pos, 2),
      vel: rep(c.atDelta.vel, 2),
    };
    const oracle = v.render(v.advance(ko, states, new Float64Array(contexts * m).fill(lag)));
    const sc = { model: 0, oracle: 0, persistence: 0, mean: 0 };
    const cases = [];
    for (let i = 0; i < contexts; i++) {
      const truth = c.truth.subarray(i * S, (i + 1) * S);
      const last = c.last.subarray(i * S, (i + 1) * S);
      const mod = { ensemble: ens.subarray(i * m * S, (i + 1) * m * S), truth };
      sc.model += crps(mod);
      sc.oracle += crps({ ensemble: oracle.subarray(i * m * S, (i + 1) * m * S), truth });
      sc.persistence += crps({ ensemble: [...last, ...last], truth });
      sc.mean += crps({ ensemble: [...meanFrame, ...meanFrame], truth });
      cases.push(mod);
    }
    for (const key of Object.keys(sc) as (keyof typeof sc)[]) {
      sc[key] /= contexts;
      totals[key] += sc[key] / scored.length;
    }
    const ss = spreadSkill(cases);
    ssTotal += ss / scored.length;
    rows.push(
      `| ${lag} | ${sc.model.toFixed(4)} | ${sc.oracle.toFixed(4)} | ${
        sc.persistence.toFixed(4)
      } | ${sc.mean.toFixed(4)} | ${ss.toFixed(2)} |`,
    );
  });
  // strips: three test clips; the truth and two one-step samples at each shown lag
  const strips: number[][][] = [];
  const labels: string[] = [];
  const kStrip = split(root, 8)[7];
  for (let clip = 0; clip < 3; clip++) {
    const kc = split(kStrip, 3)[clip];
    const truthRow: number[][] = [];
    const sampleRows: number[][][] = [[], []];
    let observed: number[][] = [];
    for (const [li, lag] of lagsShown.entries()) {
      // the same clip (same key) at every lag: only the lag differs
      const c = clipAtLag(v, kc, lag, opts.delta);
      if (li === 0) {
        const ctx = c.context.dataSync();
        observed = [Array.from(ctx.subarray(0, S)), Array.from(ctx.subarray(S, 2 * S))];
      }
      truthRow.push(Array.from(c.truth));
      const draws = samplesAt(c.context, lag, split(kc, 5)[4], 2);
      sampleRows[0].push(Array.from(draws.subarray(0, S)));
      sampleRows[1].push(Array.from(draws.subarray(S, 2 * S)));
    }
    strips.push([...observed, ...truthRow], [...observed, ...sampleRows[0]], [
      ...observed,
      ...sampleRows[1],
    ]);
    labels.push(`clip ${clip + 1} truth`, "MFM sample", "MFM sample");
  }
  const report = [
    `# Video context: one-step frame prediction for moving digits`,
    ``,
    `A test-set MNIST digit (14×14) moves in a ${v.frame}×${v.frame} frame at a random velocity`,
    `(speed ${v.speed.join("–")} px per unit time) with Brownian jitter ${v.jitter} px/√time,`,
    `bouncing off the walls. Frames at 0 and Δ = ${opts.delta} observed; the frame at Δ + lag`,
    `predicted in one step. ${contexts} clips per row, ${m} members each. CRPS: fair ensemble CRPS`,
    `per pixel (values in [−1, 1]). Oracle: ${m} true continuations from the true state at Δ`,
    `(knows the velocity). Persistence: the frame at Δ. Mean frame: the average of 2000 frames.`,
    ``,
    `| lag | CRPS MFM | CRPS oracle | CRPS persistence | CRPS mean frame | spread–skill MFM |`,
    `|---:|---:|---:|---:|---:|---:|`,
    ...rows,
    ``,
    `Mean CRPS: MFM ${totals.model.toFixed(4)}, oracle ${totals.oracle.toFixed(4)}, persistence ${
      totals.persistence.toFixed(4)
    }, mean frame ${totals.mean.toFixed(4)}; spread–skill ${ssTotal.toFixed(2)}.`,
    ``,
    `video_strips.png: per clip, the truth and two MFM samples; columns: frame 0, frame Δ, then`,
    `Δ + ${lagsShown.join(", Δ + ")}.`,
    ``,
  ].join("\n");
  const pictures: Record<string, ContextPicture> = {
    video_strips: {
      rows: strips,
      options: {
        height: v.frame,
        width: v.frame,
        scale: 4,
        range: [-1, 1],
        rowLabels: labels,
        colLabels: ["t=0", "t=Δ", ...lagsShown.map((l) => `Δ+${l}`)],
      },
    },
  };
  return {
    report,
    metrics: {
      video_crps: totals.model,
      video_crps_oracle: totals.oracle,
      video_crps_persistence: totals.persistence,
      video_crps_mean: totals.mean,
      video_spread_skill: ssTotal,
    },
    pictures,
  };
}

/** One clip (fixed by its key: the same clip at every lag) and its truth at one lag. */
function clipAtLag(
  v: MovingDigits,
  k: ReturnType<typeof key>,
  lag: number,
  delta: number,
): { context: Tensor; truth: Float64Array } {
  const c = clips(v, k, Float64Array.of(lag), delta);
  return { context: c.context, truth: c.truth };
}
