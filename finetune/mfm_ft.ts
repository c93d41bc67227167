/**
 * MFM-FT (MATH-reward §8, eq. 43): unbiased off-policy fine-tuning of a drift b̂_θ toward the
 * tilted drift b* = b + (g²/2)∇V with ONE posterior draw per (t, x_t), via the surrogate target
 * T = b − (e^{r(X)} − 1)(b̂ − b) + (g²/2)∇_{x_t} e^{r(X(ε; t, x_t))}, detached.
 *
 * @module
 */

import {
  foldIn,
  jit,
  key,
  normal,
  split,
  stopGradient,
  type Tensor,
  type Tree,
  uniform,
  valueAndGrad,
  writeFileAtomic,
} from "@mfm/tensor";
import { adam, emaUpdate, loadParams, saveSafetensors } from "@mfm/nn";
import { denoiserFromDrift, diffusionSq, type Interpolant, perSample } from "@mfm/interpolants";
import {
  flowMapOf,
  initMfmMlp,
  type MfmMlpConfig,
  mfmMlpConfig,
  type MfmMlpParams,
  mfmMlpVelocity,
  type StochasticFlowMap,
} from "@mfm/flowmaps";
import type { RewardModel } from "@mfm/rewards";
import type { PosteriorDraws } from "@mfm/steering";
import { ProgressBar } from "@mfm/train";

/** Inputs of one MFM-FT target evaluation (all per sample). */
export interface FtTargetInputs {
  /** b̂_θ(t, x_t) (detached inside). `[B, d]` */
  readonly bhat: Tensor;
  /** The base drift b_t(x_t). `[B, d]` */
  readonly base: Tensor;
  /** Times `[B]` in (0, 1). */
  readonly t: Tensor;
  /** States `[B, d]`. */
  readonly xt: Tensor;
  /** Posterior draws (differentiable in the state). */
  readonly draws: PosteriorDraws;
  /** Their randomness for B rows. */
  readonly noise: Tree;
  /** The reward. */
  readonly reward: RewardModel;
  /** The interpolant. */
  readonly interpolant: Interpolant;
  /** A constant subtracted from r (changes the gradient scale, not the fixed point). */
  readonly offset: number;
  /** Posterior draws M per state, averaged (still unbiased; `noise` holds B·M rows); default 1. */
  readonly drawsPerState?: number;
  /**
   * How ∇_{x_t} e^{r(X)} is estimated: `pathwise` (autograd through the sampler, eq. 43) or
   * `score` (e^{r}(β/α²)(x₁ − D_t(x)), gradient-free, through the posterior-score identity).
   */
  readonly gradient?: "pathwise" | "score";
}

function repeatRows(x: Tensor, m: number): Tensor {
  if (m === 1) return x;
  const [b, ...rest] = x.shape;
  return x.reshape([b, 1, ...rest]).broadcastTo([b, m, ...rest]).reshape([b * m, ...rest]);
}

/**
 * The detached surrogate target T of (43).
 *
 * @example
 * ```ts
 * const T = ftTarget({ bhat, base, t, xt, draws, noise, reward, interpolant: linearInterpolant, offset: 0 });
 * ```
 */
export function ftTarget(i: FtTargetInputs): Tensor {
  const m = i.drawsPerState ?? 1;
  const b0 = i.xt.shape[0];
  const c = i.interpolant.coefficients(i.t);
  const b = stopGradient(i.base);
  const bh = stopGradient(i.bhat);
  let e: Tensor;
  let correction: Tensor; // (g²/2)·∇_{x_t} e^{r}, averaged over the draws
  if ((i.gradient ?? "pathwise") === "pathwise") {
    const expReward = (y: Tensor) => {
      const { x1, logProb } = i.draws.draw(i.noise, repeatRows(i.t, m), repeatRows(y, m));
      let r = i.reward.reward(x1).sub(i.offset);
      if (logProb) r = r.add(logProb.sub(stopGradient(logProb))); // score term of discrete choices
      const er = r.exp().reshape([b0, m]).mean(-1);
      return { value: er.sum(), aux: stopGradient(er) };
    };
    const { grad, aux } = valueAndGrad(expReward, { hasAux: true })(i.xt);
    e = aux as Tensor;
    correction = grad.mul(perSample(diffusionSq(c).mul(0.5), grad));
  } else {
    // ∇_x log p(x₁ | x) = (β/α²)(x₁ − D_t(x)): an unbiased gradient-free form of ∇E[e^{r}], with
    // D from the base drift and (g²/2)(β/α²) = (αβ̇ − α̇β)/α finite at t = 0
    const x1 = stopGradient(i.draws.draw(i.noise, repeatRows(i.t, m), repeatRows(i.xt, m)).x1);
    const er = i.reward.reward(x1).sub(i.offset).exp();
    const d = i.xt.shape[1];
    const D = denoiserFromDrift(c, i.xt, b);
    const dev = x1.reshape([b0, m, d]).sub(D.reshape([b0, 1, d])).mul(er.reshape([b0, m, 1])).mean(
      1,
    );
    e = er.reshape([b0, m]).mean(-1);
    correction = dev.mul(
      perSample(c.alpha.mul(c.dBeta).sub(c.dAlpha.mul(c.beta)).div(c.alpha), dev),
    );
  }
  return stopGradient(b.sub(bh.sub(b).mul(perSample(e.sub(1), bh))).add(correction));
}

/** Options of `finetuneMfm`. */
export interface FinetuneOptions {
  /** The base MFM's network configuration. */
  net: MfmMlpConfig;
  /** The base MFM's parameters (frozen posterior sampler and base drift; b̂ starts as a copy). */
  params: MfmMlpParams;
  /** The reward (with its multiplier λ). */
  reward: RewardModel;
  /** The interpolant. */
  interpolant: Interpolant;
  /** Data samples x_1 `[n, d]` from a key (the off-policy (t, x_t) come from the interpolant). */
  sampleData: (k: ReturnType<typeof key>, n: number) => Tensor;
  /** Steps; default 2000. */
  steps?: number;
  /** Batch; default 256. */
  batch?: number;
  /** Learning rate; default 3e-4. */
  lr?: number;
  /** EMA decay; default 0.99. */
  emaDecay?: number;
  /** Posterior draws per (t, x_t), averaged in the target; default 4. */
  drawsPerState?: number;
  /** Estimator of ∇e^{r} in the target (see `FtTargetInputs.gradient`); default pathwise. */
  gradient?: "pathwise" | "score";
  /** Times are drawn from U(tMin, 1 − tMin); default 0.01 (g² is infinite at 0). */
  tMin?: number;
  /** Seed. */
  seed?: number;
  /** Progress bar; default true. */
  progress?: boolean;
}

/**
 * Trains b̂_θ(t, x) = v_θ(t, t, x; 0, x₀) (x₀ ~ N(0, I), independent of x: the t = 0 context the
 * samplers pass), initialised from the base MFM, with the MFM-FT loss.
 * Returns the EMA parameters and a flow map whose drift is b̂.
 *
 * @example
 * ```ts
 * const ft = finetuneMfm({ net, params, reward, interpolant: linearInterpolant, sampleData: (k, n) => gmm.sample(k, n) });
 * const tilted = steeredOde({ mfm: ft.mfm, interpolant: linearInterpolant, steps: 100 }, key(0), 4096, 2);
 * ```
 */
export function finetuneMfm(
  o: FinetuneOptions,
): { params: MfmMlpParams; mfm: StochasticFlowMap; losses: number[]; stepsPerSecond: number } {
  const steps = o.steps ?? 2000;
  const B = o.batch ?? 256;
  const tMin = o.tMin ?? 0.01;
  const M = o.drawsPerState ?? 4;
  const base = flowMapOf(mfmMlpVelocity(o.net, o.params));
  const draws: PosteriorDraws = {
    noise: (k, rows, dim) => normal(k, [rows, dim]),
    draw: (noise, t, x) => ({ x1: base.map(t.mul(0), t.mul(0).add(1), noise as Tensor, t, x) }),
  };
  const root = key(o.seed ?? 0);
  // the offset log E_{p1}[e^r] keeps e^{r − offset} of order one (same fixed point)
  const probe = Array.from(o.reward.reward(o.sampleData(foldIn(root, 1 << 30), 4096)).dataSync());
  const m = Math.max(...probe);
  const offset = m + Math.log(probe.reduce((a, v) => a + Math.exp(v - m), 0) / probe.length);
  const opt = adam({ lr: o.lr ?? 3e-4, warmupSteps: 50 });
  let params = o.params;
  let ema = o.params;
  let state = opt.init(params);
  // b̂ at context time 0 with an N(0, I) context state independent of x: what the ungated base
  // was trained on and what the steering samplers pass (`mfmDrift`), so b̂ is fitted where it
  // is sampled
  const driftOf = (p: MfmMlpParams, t: Tensor, x: Tensor, ctx: Tensor) =>
    mfmMlpVelocity(o.net, p)(t, t, x, t.mul(0), ctx);
  const step = jit(
    (
      p: MfmMlpParams,
      s: typeof state,
      e: MfmMlpParams,
      x1: Tensor,
      x0: Tensor,
      t: Tensor,
      eps: Tensor,
      ctx: Tensor,
    ) => {
      const c = o.interpolant.coefficients(t);
      const xt = x0.mul(perSample(c.alpha, x0)).add(x1.mul(perSample(c.beta, x1)));
      const baseDrift = stopGradient(driftOf(o.params, t, xt, ctx));
      const loss = (q: MfmMlpParams) => {
        const bhat = driftOf(q, t, xt, ctx);
        const T = ftTarget({
          bhat,
          base: baseDrift,
          t,
          xt,
          draws,
          noise: eps,
          reward: o.reward,
          interpolant: o.interpolant,
          offset,
          drawsPerState: M,
          gradient: o.gradient,
        });
        return bhat.sub(T).square().sum(-1).mean();
      };
      const { value, grad } = valueAndGrad(loss)(p);
      const upd = opt.update(grad, s, p);
      return {
        params: upd.params,
        state: upd.state,
        ema: emaUpdate(e, upd.params, o.emaDecay ?? 0.99),
        loss: value,
      };
    },
  );
  const bar = new ProgressBar("finetune", steps, o.progress ?? true);
  const losses: number[] = [];
  let timed = 0;
  for (let i = 0; i < steps; i++) {
    const ks = split(foldIn(root, i), 5);
    const t0 = performance.now();
    const r = step(
      params,
      state,
      ema,
      o.sampleData(ks[0], B),
      normal(ks[1], [B, o.net.dim]),
      uniform(ks[2], [B], { low: tMin, high: 1 - tMin }),
      normal(ks[3], [B * M, o.net.dim]),
      normal(ks[4], [B, o.net.dim]),
    );
    params = r.params;
    state = r.state;
    ema = r.ema;
    if (i > 0) timed += performance.now() - t0;
    if ((i + 1) % Math.max(1, Math.floor(steps / 50)) === 0) {
      losses.push(r.loss.item());
      bar.update(i + 1, { loss: losses.at(-1)!.toFixed(4) });
    }
  }
  bar.done();
  return {
    params: ema,
    mfm: flowMapOf(mfmMlpVelocity(o.net, ema)),
    losses,
    stepsPerSecond: (steps - 1) / (timed / 1000),
  };
}

/** Where the committed fine-tuned GMM drift lives. */
export const FT_CHECKPOINT: string =
  new URL("../checkpoints/gmm/finetuned.safetensors", import.meta.url).pathname;

/**
 * Saves fine-tuned parameters (safetensors) with the network config in the metadata.
 *
 * @example
 * ```ts
 * await saveFinetuned("out/ft.safetensors", ft.params, net);
 * ```
 */
export async function saveFinetuned(
  path: string,
  params: MfmMlpParams,
  net: MfmMlpConfig,
): Promise<void> {
  await saveSafetensors(path, params, { net: JSON.stringify(net) });
  await writeFileAtomic(
    `${path}.json`,
    new TextEncoder().encode(JSON.stringify({ net }, null, 2) + "\n"),
  );
}

/**
 * Loads fine-tuned parameters (default: the committed GMM one) as a flow map whose drift is b̂.
 *
 * @example
 * ```ts
 * const { mfm } = await loadFinetuned();
 * ```
 */
export async function loadFinetuned(
  path = FT_CHECKPOINT,
): Promise<{ mfm: StochasticFlowMap; params: MfmMlpParams }> {
  const { net } = JSON.parse(await Deno.readTextFile(`${path}.json`)) as { net: MfmMlpConfig };
  const cfg = mfmMlpConfig(net);
  const params = await loadParams(path, initMfmMlp(key(0), cfg));
  return { mfm: flowMapOf(mfmMlpVelocity(cfg, params)), params };
}
