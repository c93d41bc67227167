/**
 * Extended MFMs for general processes (MATH-core §8): the context is a set of observations and a
 * prediction time τ; X_{0,1}(ε; C, τ) samples p(x_τ | C) in one call. The network is the MFM MLP
 * with the context packed into its context input and τ in its time slot; training uses the same
 * objectives (diagonal + a self-consistency row) with I_s = α_s x̄ + β_s x_τ.
 *
 * A *steerable* context MFM also conditions on a state of its own generative flow: the time slot
 * holds the outer time t and the context input packs (t·x_t, context, τ) with
 * x_t = (1 − t)x_0 + t·x_τ — the MFM of §3 for the conditional law p(x_τ | C). At t = 0 it is the
 * one-step forecaster; at t > 0 its draws are posterior samples given x_t, which is what MFM-G
 * needs to steer the forecast toward a reward (`ContextModel.conditioned`).
 *
 * @module
 */

import {
  checkOptions,
  concat,
  foldIn,
  full,
  jit,
  type Key,
  key,
  normal,
  sliceAxis,
  split,
  type Tensor,
  type Tree,
  uniform,
  valueAndGrad,
} from "@mfm/tensor";
import { adam, clipGradNorm, emaUpdate } from "@mfm/nn";
import { linearInterpolant } from "@mfm/interpolants";
import { flowMapOf, type StochasticFlowMap, type VelocityFn } from "@mfm/flowmaps";
import { type ContextNetwork, mlpContextNetwork, type NetworkConfig } from "./networks.ts";
import {
  adaptiveLoss,
  getObjective,
  type ObjectiveBatch,
  sampleInnerPair,
  sampleOuterTime,
} from "@mfm/losses";

/** A process with contexts: draws of (context features, prediction time, true x_τ). */
export interface ContextProblem {
  /** State dimension. */
  readonly dim: number;
  /** Width of the packed context features. */
  readonly contextDim: number;
  /**
   * `n` draws: context features `[n, contextDim]`, τ `[n]`, the target `[n, dim]` — x_τ, or its
   * encoding when the problem has `decode`.
   */
  sample(k: Key, n: number): { context: Tensor; tau: Tensor; target: Tensor };
  /**
   * Maps the model's samples back to x_τ, for problems that train on an encoded target (e.g. an
   * increment scaled to unit size); absent: the model samples x_τ itself.
   */
  decode?(y: Tensor, context: Tensor): Tensor;
}

/** Options of `trainContextMfm`. */
export interface ContextTrainOptions {
  /** Steps; default 2000. */
  steps?: number;
  /** Batch; default 512. */
  batch?: number;
  /** Adam learning rate; default 2e-3. */
  lr?: number;
  /** Consistency objective; default semigroup. */
  consistency?: string;
  /** Hidden width of the default MLP; default 128. */
  hidden?: number;
  /** Hidden layers of the default MLP; default 3. */
  depth?: number;
  /** The network family; default `mlpContextNetwork({ hidden, depth })`. */
  network?: ContextNetwork;
  /** Fraction of the batch the consistency term uses; default 1. */
  consistencyFraction?: number;
  /** Seed. */
  seed?: number;
  /** Train a steerable model (conditioned on its own flow's state too); default false. */
  steerable?: boolean;
  /** Steerable models: probability of outer time t = 0 (the one-step forecaster); default 0.5. */
  zeroRate?: number;
  /** Called after every step (e.g. to draw a progress bar). */
  onStep?: (step: number) => void;
}

/** A trained context MFM, whatever its packing. */
export interface ContextModel {
  /** Whether `conditioned` is available. */
  readonly steerable: boolean;
  /** One-step draws of the (encoded) target: noise `[B, dim]`, τ `[B]`, contexts `[B, c]`. */
  sample(eps: Tensor, tau: Tensor, context: Tensor): Tensor;
  /**
   * The MFM of one context's generative flow (steerable models): an ordinary stochastic flow map
   * whose context state is that flow's state, so the steering samplers and estimators apply.
   */
  conditioned(context: Tensor, tau: number): StochasticFlowMap;
}

/**
 * The packed context input of a steerable model: (t·x_t, context, τ) — gated by t so that the
 * network ignores x_t exactly at t = 0.
 *
 * @example
 * ```ts
 * const packed = packSteerable(t, xt, context, tau); // [B, dim + c + 1]
 * ```
 */
export function packSteerable(t: Tensor, xt: Tensor, context: Tensor, tau: Tensor): Tensor {
  const n = xt.shape[0];
  return concat([xt.mul(t.reshape([n, 1])), context, tau.reshape([n, 1])], -1);
}

/**
 * The sampler of a trained velocity (`steerable` as trained).
 *
 * @example
 * ```ts
 * const model = contextModel(network.velocity(config, params), true);
 * const y = model.sample(eps, tau, context);
 * const mfm = model.conditioned(oneContext, 1.5); // steer it with mfmG(mfmDraws(mfm), …)
 * ```
 */
export function contextModel(v: VelocityFn, steerable: boolean): ContextModel {
  const flow = flowMapOf(v);
  return {
    steerable,
    sample: (eps, tau, context) => {
      const n = eps.shape[0];
      const [zero, one] = [full([n], 0), full([n], 1)];
      return steerable
        ? flow.map(zero, one, eps, zero, packSteerable(zero, eps.mul(0), context, tau))
        : flow.map(zero, one, eps, tau, context);
    },
    conditioned: (context, tau) => {
      if (!steerable) {
        throw new Error("ContextModel.conditioned: this model was not trained steerable");
      }
      const c = context.reshape([1, context.size]);
      return flowMapOf((s, u, x, t, xt) => {
        const n = x.shape[0];
        const ctx = c.broadcastTo([n, context.size]);
        return v(s, u, x, t, packSteerable(t, xt, ctx, full([n], tau)));
      });
    },
  };
}

/**
 * Trains an extended MFM (Adam, clipping, EMA 0.995); returns the EMA parameters, the
 * configuration and the sampler they define.
 *
 * @example
 * ```ts
 * const { model } = trainContextMfm(ouProblem(ou), { steps: 2000 });
 * const draws = model.sample(eps, tau, context); // x_τ ~ p(x_τ | context)
 * ```
 */
export function trainContextMfm(problem: ContextProblem, opts: ContextTrainOptions = {}): {
  params: Tree;
  config: NetworkConfig;
  model: ContextModel;
  losses: number[];
} {
  checkOptions(
    opts,
    [
      "steps",
      "batch",
      "lr",
      "consistency",
      "hidden",
      "depth",
      "seed",
      "steerable",
      "zeroRate",
      "network",
      "consistencyFraction",
      "onStep",
    ],
    "trainContextMfm",
  );
  const steps = opts.steps ?? 2000;
  const B = opts.batch ?? 512;
  const steerable = opts.steerable ?? false;
  const network = opts.network ?? mlpContextNetwork({ hidden: opts.hidden, depth: opts.depth });
  const config = network.configure(
    problem.dim,
    steerable ? problem.dim + problem.contextDim + 1 : problem.contextDim,
    steerable,
  );
  const fraction = opts.consistencyFraction ?? 1;
  if (!(fraction > 0 && fraction <= 1)) {
    throw new RangeError(`trainContextMfm: consistencyFraction ${fraction} must be in (0, 1]`);
  }
  if (!Number.isInteger(B) || B < 1 || !Number.isInteger(steps) || steps < 1) {
    throw new RangeError(
      `trainContextMfm: batch ${B} and steps ${steps} must be positive integers`,
    );
  }
  const Bc = Math.max(1, Math.round(B * fraction));
  const root = key(opts.seed ?? 0);
  const [kInit, kSteps] = split(root);
  const diagonal = getObjective("diagonal");
  const consistency = getObjective(opts.consistency ?? "semigroup");
  const opt = adam({ lr: opts.lr ?? 2e-3, warmupSteps: 50 });
  let params = network.init(kInit, config);
  let ema = params;
  let state = opt.init(params);
  const step = jit(
    (p: Tree, s: typeof state, e: Tree, d: Record<string, Tensor>) => {
      const loss = (q: Tree) => {
        const base = {
          v: network.velocity(config, q),
          inner: linearInterpolant,
          outer: linearInterpolant,
          x1: d.target,
          ...(steerable ? steerableContext(d) : { t: d.tau, xt: d.context }),
          gamma: d.gamma,
        };
        const diag: ObjectiveBatch = { ...base, s: d.sd, u: d.sd, xbar: d.xbd };
        // the consistency term on the first Bc rows (consistencyFraction)
        const head = (x: Tensor) => (Bc < B ? sliceAxis(x, 0, 0, Bc) : x);
        const cons: ObjectiveBatch = {
          ...base,
          x1: head(base.x1),
          t: head(base.t),
          xt: head(base.xt),
          gamma: head(base.gamma),
          s: d.s,
          u: d.u,
          xbar: d.xbc,
        };
        return adaptiveLoss(diagonal.residual(diag)).add(adaptiveLoss(consistency.residual(cons)));
      };
      const { value, grad } = valueAndGrad(loss)(p);
      const upd = opt.update(clipGradNorm(grad, 1.5).grads, s, p);
      return {
        params: upd.params,
        state: upd.state,
        ema: emaUpdate(e, upd.params, 0.995),
        loss: value,
      };
    },
  );
  const losses: number[] = [];
  const zeroRate = opts.zeroRate ?? 0.5;
  for (let i = 0; i < steps; i++) {
    const ks = split(foldIn(kSteps, i), 8);
    const batch = problem.sample(ks[0], B);
    const pair = sampleInnerPair(ks[1], Bc);
    const r = step(params, state, ema, {
      ...batch,
      sd: uniform(ks[2], [B]),
      s: pair.s,
      u: pair.u,
      xbd: normal(ks[3], [B, problem.dim]),
      xbc: normal(ks[4], [Bc, problem.dim]),
      gamma: uniform(ks[5], [B]),
      ...(steerable
        ? { t: sampleOuterTime(ks[6], B, { zeroRate }), x0: normal(ks[7], [B, problem.dim]) }
        : {}),
    });
    params = r.params;
    state = r.state;
    ema = r.ema;
    if ((i + 1) % Math.max(1, Math.floor(steps / 50)) === 0) losses.push(r.loss.item());
    opts.onStep?.(i + 1);
  }
  return {
    params: ema,
    config,
    model: contextModel(network.velocity(config, ema), steerable),
    losses,
  };
}

/** The outer time and packed context of a steerable training batch: x_t = (1 − t)x_0 + t·x_τ. */
function steerableContext(d: Record<string, Tensor>): { t: Tensor; xt: Tensor } {
  const n = d.target.shape[0];
  const t = d.t.reshape([n, 1]);
  const xt = d.x0.mul(t.neg().add(1)).add(d.target.mul(t));
  return { t: d.t, xt: packSteerable(d.t, xt, d.context, d.tau) };
}

/**
 * The OU process as a context problem: context = (x_obs, t_obs, τ − t_obs), prediction time τ.
 *
 * @example
 * ```ts
 * const problem = ouProblem(new OrnsteinUhlenbeck({ theta: 1, mu: 0, sigma: 1, dim: 1 }));
 * ```
 */
export function ouProblem(
  ou: {
    dim: number;
    samplePairs(
      k: Key,
      n: number,
      horizon?: number,
      obsScale?: number,
    ): { tObs: Tensor; xObs: Tensor; tau: Tensor; xTau: Tensor };
  },
  opts: { obsScale?: number; increments?: boolean } = {},
): ContextProblem {
  const d = ou.dim;
  // increments: the target is (x_τ − x_obs)/√(|τ − t_obs| + 0.01), of unit order at every lag
  // (the conditional sd shrinks like √lag), so short lags need no extra precision
  const scale = (context: Tensor) => {
    const n = context.shape[0];
    return sliceAxis(context, 1, d + 1, d + 2).abs().add(0.01).sqrt().reshape([n, 1]);
  };
  const xObs = (context: Tensor) => sliceAxis(context, 1, 0, d);
  return {
    dim: d,
    contextDim: d + 2,
    sample: (k, n) => {
      const b = ou.samplePairs(k, n, 2, opts.obsScale ?? 1);
      const context = ouContext(b.xObs, b.tObs, b.tau);
      const target = opts.increments ? b.xTau.sub(b.xObs).div(scale(context)) : b.xTau;
      return { context, tau: b.tau, target };
    },
    ...(opts.increments
      ? { decode: (y: Tensor, context: Tensor) => xObs(context).add(y.mul(scale(context))) }
      : {}),
  };
}

/**
 * Packs one observation and a prediction time into context features: (x_obs, t_obs, τ − t_obs)
 * (the lag as an explicit feature: a time-homogeneous process depends on it alone).
 *
 * @example
 * ```ts
 * const ctx = ouContext(xObs, tObs, tau); // [B, d + 2]
 * ```
 */
export function ouContext(xObs: Tensor, tObs: Tensor, tau: Tensor): Tensor {
  const n = xObs.shape[0];
  return concat([xObs, tObs.reshape([n, 1]), tau.sub(tObs).reshape([n, 1])], -1);
}
