/**
 * Optimisers as pure functions of trees, written in tensor ops so the update can live inside
 * the same jitted graph as the loss and its gradient: Adam, AdamW, RAdam (each with optional
 * linear learning-rate warm-up and a linear or cosine decay), and global-norm gradient clipping.
 *
 * @module
 */

import {
  checkNumber,
  checkOptions,
  constLike,
  cos,
  type DType,
  flatten,
  minimum,
  scalar,
  sqrt,
  type Tensor,
  type Tree,
  treeMap,
  unflatten,
  where,
  zerosLike,
} from "@mfm/tensor";

/** State of the Adam family: the step count (float32 scalar) and the two moment trees. */
export type AdamState<P extends Tree = Tree> = {
  readonly step: Tensor;
  readonly m: P;
  readonly v: P;
};

/** Result of an update: new parameters and new state. */
export type Update<P extends Tree> = { readonly params: P; readonly state: AdamState<P> };

/**
 * A gradient-based optimiser.
 *
 * @example
 * ```ts
 * const opt = adam({ lr: 1e-3 });
 * let state = opt.init(params);
 * ({ params, state } = opt.update(grads, state, params));
 * ```
 */
export interface Optimizer {
  /** Name (`adam`, `adamw`, `radam`). */
  readonly name: string;
  /** Zero moments and step 0. */
  init<P extends Tree>(params: P): AdamState<P>;
  /** One step. */
  update<P extends Tree>(grads: P, state: AdamState<P>, params: P): Update<P>;
}

/** Options of the Adam family. */
export interface AdamOptions {
  /** Peak learning rate. */
  lr: number;
  /** First-moment decay; default 0.9. */
  beta1?: number;
  /** Second-moment decay; default 0.999. */
  beta2?: number;
  /** Denominator guard; default 1e-8. */
  eps?: number;
  /** L2 penalty (Adam, RAdam: added to the gradient) or decoupled decay (AdamW); default 0. */
  weightDecay?: number;
  /** Linear warm-up of the learning rate over this many steps; default 0 (none). */
  warmupSteps?: number;
  /** Decay of the learning rate from `lr` to `lrFinal` between `decayStart` and `decayEnd`; default `none`. */
  decay?: LrDecay;
  /** Step at which the decay begins; default `warmupSteps`. */
  decayStart?: number;
  /** Step at which the rate reaches `lrFinal` and stays; required when `decay` is not `none`. */
  decayEnd?: number;
  /** Rate at the end of the decay; default 0. */
  lrFinal?: number;
}

/**
 * Learning-rate decay shapes: constant, linear, or half a cosine.
 *
 * @example
 * ```ts
 * LR_DECAYS.includes("cosine"); // true
 * ```
 */
export const LR_DECAYS = ["none", "linear", "cosine"] as const;

/** One of `LR_DECAYS`. */
export type LrDecay = typeof LR_DECAYS[number];

const ADAM_KEYS = [
  "lr",
  "beta1",
  "beta2",
  "eps",
  "weightDecay",
  "warmupSteps",
  "decay",
  "decayStart",
  "decayEnd",
  "lrFinal",
];

interface Resolved {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  warmupSteps: number;
  decay: LrDecay;
  decayStart: number;
  decayEnd: number;
  lrFinal: number;
}

function resolve(opts: AdamOptions, where: string): Resolved {
  checkOptions(opts, ADAM_KEYS, where);
  const warmupSteps = checkNumber(opts.warmupSteps ?? 0, "warmupSteps", where, 0);
  const decay = opts.decay ?? "none";
  if (!LR_DECAYS.includes(decay)) {
    throw new RangeError(`${where}: decay "${decay}" must be one of ${LR_DECAYS.join(", ")}`);
  }
  const decayStart = checkNumber(opts.decayStart ?? warmupSteps, "decayStart", where, 0);
  if (decay !== "none" && opts.decayEnd === undefined) {
    throw new RangeError(`${where}: decay "${decay}" needs decayEnd (the step where it ends)`);
  }
  const decayEnd = decay === "none"
    ? decayStart
    : checkNumber(opts.decayEnd, "decayEnd", where, decayStart, Infinity, {
      minExclusive: true,
    });
  const lr = checkNumber(opts.lr, "lr", where, 0);
  return {
    lr,
    beta1: checkNumber(opts.beta1 ?? 0.9, "beta1", where, 0, 1, { maxExclusive: true }),
    beta2: checkNumber(opts.beta2 ?? 0.999, "beta2", where, 0, 1, { maxExclusive: true }),
    eps: checkNumber(opts.eps ?? 1e-8, "eps", where, 0),
    weightDecay: checkNumber(opts.weightDecay ?? 0, "weightDecay", where, 0),
    warmupSteps,
    decay,
    decayStart,
    decayEnd,
    lrFinal: checkNumber(opts.lrFinal ?? 0, "lrFinal", where, 0, lr),
  };
}

/**
 * The learning rate at (1-based) step `t`: linear warm-up times the decay, as the optimisers
 * apply it inside their graphs. For logs and plots.
 *
 * @example
 * ```ts
 * learningRate({ lr: 1e-3, decay: "cosine", decayStart: 0, decayEnd: 100 }, 50); // 5e-4
 * ```
 */
export function learningRate(opts: AdamOptions, t: number): number {
  const o = resolve(opts, "learningRate");
  const warm = o.warmupSteps > 0 ? Math.min(1, t / o.warmupSteps) : 1;
  if (o.decay === "none") return o.lr * warm;
  const p = Math.min(1, Math.max(0, (t - o.decayStart) / (o.decayEnd - o.decayStart)));
  const shape = o.decay === "linear" ? 1 - p : 0.5 * (1 + Math.cos(Math.PI * p));
  return warm * (o.lrFinal + (o.lr - o.lrFinal) * shape);
}

type Kind = "adam" | "adamw" | "radam";

interface Scalars {
  lr: Tensor;
  bc1: Tensor;
  bc2: Tensor;
  rect: Tensor;
  useRect: Tensor;
}

function stepScalars(t: Tensor, o: Resolved): Scalars {
  // learning rate with linear warm-up, lr · min(1, t / warmup), times the decay (learningRate)
  let lr = constLike(o.lr, t);
  if (o.decay !== "none") {
    const p = minimum(t.sub(o.decayStart).div(o.decayEnd - o.decayStart).maximum(0), 1);
    const shape = o.decay === "linear" ? p.neg().add(1) : cos(p.mul(Math.PI)).add(1).mul(0.5);
    lr = shape.mul(o.lr - o.lrFinal).add(o.lrFinal);
  }
  if (o.warmupSteps > 0) lr = minimum(t.div(o.warmupSteps), 1).mul(lr);
  const bc1 = constLike(o.beta1, t).pow(t).neg().add(1);
  const b2t = constLike(o.beta2, t).pow(t);
  const bc2 = b2t.neg().add(1);
  // RAdam's variance rectification (Liu et al. 2020), as in PyTorch
  const rhoInf = 2 / (1 - o.beta2) - 1;
  const rhoT = t.mul(b2t).mul(2).div(bc2).neg().add(rhoInf);
  const rect = sqrt(
    rhoT.sub(4).mul(rhoT.sub(2)).mul(rhoInf).div(rhoT.mul((rhoInf - 4) * (rhoInf - 2))).maximum(0),
  );
  return { lr, bc1, bc2, rect, useRect: rhoT.greater(5) };
}

function makeAdam(kind: Kind, opts: AdamOptions): Optimizer {
  const o = resolve(opts, kind);
  return {
    name: kind,
    init: <P extends Tree>(params: P): AdamState<P> => {
      const z = treeMap(zerosLike, params);
      return { step: scalar(0), m: z, v: z };
    },
    update: <P extends Tree>(grads: P, state: AdamState<P>, params: P): Update<P> => {
      const t = state.step.add(1);
      // step-dependent scalars, computed in each parameter dtype (float64 params get float64 maths)
      const memo = new Map<DType, Scalars>();
      const scalarsFor = (dt: DType) => {
        let sc = memo.get(dt);
        if (!sc) memo.set(dt, sc = stepScalars(t.cast(dt), o));
        return sc;
      };
      const fg = flatten(grads).leaves;
      const fm = flatten(state.m).leaves;
      const fv = flatten(state.v).leaves;
      const { leaves: fp, def } = flatten(params);
      if (fg.length !== fp.length || fm.length !== fp.length) {
        throw new TypeError(`${kind}: gradients, state and parameters have different structures`);
      }
      const newP: Tensor[] = [];
      const newM: Tensor[] = [];
      const newV: Tensor[] = [];
      fp.forEach((p, i) => {
        const { lr, bc1, bc2, rect, useRect } = scalarsFor(p.dtype);
        let g = fg[i];
        if (o.weightDecay > 0 && kind !== "adamw") g = g.add(p.mul(o.weightDecay));
        let pp = kind === "adamw" && o.weightDecay > 0 ? p.sub(p.mul(lr).mul(o.weightDecay)) : p;
        const m = fm[i].mul(o.beta1).add(g.mul(1 - o.beta1));
        const v = fv[i].mul(o.beta2).add(g.square().mul(1 - o.beta2));
        const mHat = m.div(bc1);
        if (kind === "radam") {
          const adaptive = sqrt(bc2).div(sqrt(v).add(o.eps)).mul(rect);
          const stepDir = where(useRect, mHat.mul(adaptive), mHat);
          pp = pp.sub(stepDir.mul(lr));
        } else {
          const vHat = v.div(bc2);
          pp = pp.sub(mHat.div(sqrt(vHat).add(o.eps)).mul(lr));
        }
        newP.push(pp);
        newM.push(m);
        newV.push(v);
      });
      return {
        params: unflatten<P>(def, newP),
        state: { step: t, m: unflatten<P>(def, newM), v: unflatten<P>(def, newV) },
      };
    },
  };
}

/**
 * Adam (Kingma & Ba), with L2 weight decay added to the gradient as PyTorch's `Adam` does.
 *
 * @example
 * ```ts
 * const opt = adam({ lr: 1e-3, warmupSteps: 100 });
 * ```
 */
export function adam(opts: AdamOptions): Optimizer {
  return makeAdam("adam", opts);
}

/**
 * AdamW (Loshchilov & Hutter): decoupled weight decay `p ← p − lr·wd·p` before the Adam step.
 *
 * @example
 * ```ts
 * const opt = adamw({ lr: 1e-3, weightDecay: 0.01 });
 * ```
 */
export function adamw(opts: AdamOptions): Optimizer {
  return makeAdam("adamw", opts);
}

/**
 * RAdam (Liu et al.): Adam with the variance of the adaptive rate rectified; plain momentum SGD
 * while the rectifier is undefined (ρ_t ≤ 5, the first steps).
 *
 * @example
 * ```ts
 * const opt = radam({ lr: 1e-4, warmupSteps: 2000 });
 * ```
 */
export function radam(opts: AdamOptions): Optimizer {
  return makeAdam("radam", opts);
}

/**
 * Scales a gradient tree so its global L2 norm is at most `maxNorm`; returns the norm before.
 *
 * @example
 * ```ts
 * const { grads: g, norm } = clipGradNorm(grads, 1.5);
 * ```
 */
export function clipGradNorm<P extends Tree>(
  grads: P,
  maxNorm: number,
): { grads: P; norm: Tensor } {
  checkNumber(maxNorm, "maxNorm", "clipGradNorm", 0, Infinity, { minExclusive: true });
  const leaves = flatten(grads).leaves;
  if (leaves.length === 0) throw new RangeError("clipGradNorm: the gradient tree has no tensors");
  const sq = leaves.map((g) => g.square().sum().cast("float32")).reduce((a, b) => a.add(b));
  const norm = sqrt(sq);
  const scale = minimum(constLike(maxNorm, norm).div(norm.add(1e-6)), 1);
  return { grads: treeMap((g) => g.mul(scale.cast(g.dtype)), grads), norm };
}
