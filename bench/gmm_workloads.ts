/**
 * The five GMM MFM workloads of the backend benchmarks, written against the active backend:
 * the MFM network is an MLP on x̄ (2), x_t (2) and Fourier embeddings of s, u, t (3 × 32)
 * through 4 hidden layers of width 256 with SiLU to 2 outputs (≈224k parameters).
 *
 * @module
 */

import {
  flatten,
  jit,
  jvp,
  key,
  logsumexp,
  normal,
  ones,
  split,
  stopGradient,
  type Tensor,
  tensor,
  uniform,
  valueAndGrad,
} from "@mfm/tensor";
import { adam } from "@mfm/nn";
import { initMfmMlp, mfmMlpConfig, type MfmMlpParams, mfmMlpVelocity } from "@mfm/flowmaps";

/** Sizes of the benchmark. */
export const GMM_BENCH = {
  batch: 1024,
  hidden: 256,
  layers: 4,
  fourier: 16,
  states: 128,
  draws: 16,
} as const;

/** One workload: a name and a function that runs one step to completion. */
export interface Workload {
  /** Short name, `a_forward` … `e_steering`. */
  readonly name: string;
  /** What it measures. */
  readonly description: string;
  /** Runs one step and waits for its result (reads are awaited: WebGPU maps asynchronously). */
  readonly step: () => Promise<void>;
}

/**
 * The network of the benchmark: v(x̄, x_t, s, u, t).
 *
 * @example
 * ```ts
 * const { params, v } = gmmNet(key(0));
 * ```
 */
export function gmmNet(k: ReturnType<typeof key>) {
  // the MFM MLP of flowmaps/, with x_t fed as is (no t-gating), as in the PyTorch twin
  const cfg = mfmMlpConfig({
    dim: 2,
    hidden: GMM_BENCH.hidden,
    depth: GMM_BENCH.layers,
    fourier: GMM_BENCH.fourier,
    fourierScale: 2,
    gateContext: false,
  });
  const params = initMfmMlp(k, cfg);
  const v = (p: MfmMlpParams, xbar: Tensor, xt: Tensor, s: Tensor, u: Tensor, t: Tensor) =>
    mfmMlpVelocity(cfg, p)(s, u, xbar, t, xt);
  // the flow map X_{s,u}(x) = x + (u − s)·v
  const X = (p: MfmMlpParams, x: Tensor, xt: Tensor, s: Tensor, u: Tensor, t: Tensor) =>
    x.add(u.sub(s).reshape([-1, 1]).mul(v(p, x, xt, s, u, t)));
  const numParams = flatten(params.mlp).leaves.reduce((n, t) => n + t.size, 0);
  return { params, v, X, numParams };
}

/**
 * Builds the five workloads on the active backend.
 *
 * @example
 * ```ts
 * for (const w of gmmWorkloads()) w.step();
 * ```
 */
export function gmmWorkloads(): Workload[] {
  const B = GMM_BENCH.batch;
  const ks = split(key(0), 10);
  const { params: p0, v, X } = gmmNet(ks[0]);
  const x0 = normal(ks[1], [B, 2]);
  const x1 = normal(ks[2], [B, 2]);
  const xt = normal(ks[3], [B, 2]);
  const s = uniform(ks[4], [B]);
  const u = uniform(ks[5], [B]);
  const t = uniform(ks[6], [B]);
  const m = s.add(u).mul(0.5);
  const opt = adam({ lr: 1e-4 });

  const trainer = (loss: (p: MfmMlpParams) => Tensor) => {
    let params = p0;
    let state = opt.init(params);
    const step = jit((p: MfmMlpParams, st: typeof state) => {
      const { value, grad } = valueAndGrad(loss)(p);
      return { loss: value, ...opt.update(grad, st, p) };
    });
    return async () => {
      const r = step(params, state);
      params = r.params;
      state = r.state;
      await r.loss.data();
    };
  };

  const fwd = jit((p: MfmMlpParams) => v(p, x0, xt, s, u, t));
  const fm = (p: MfmMlpParams) => {
    const xs = x0.add(s.reshape([-1, 1]).mul(x1.sub(x0)));
    return v(p, xs, xt, s, s, t).sub(x1.sub(x0)).square().mean();
  };
  const semigroup = (p: MfmMlpParams) => {
    const target = stopGradient(X(p, X(p, x0, xt, s, m, t), xt, m, u, t));
    return X(p, x0, xt, s, u, t).sub(target).square().mean();
  };
  const meanFlow = (p: MfmMlpParams) => {
    const vel = x1.sub(x0);
    const xs = x0.add(s.reshape([-1, 1]).mul(vel));
    const { primal, tangent } = jvp((x: Tensor, r: Tensor) => v(p, x, xt, r, u, t), [xs, s], [
      vel,
      ones([B]),
    ]);
    const target = stopGradient(vel.sub(u.sub(s).reshape([-1, 1]).mul(tangent)));
    return primal.sub(target).square().mean();
  };

  // steering: ∇ over 128 states of log mean exp r(x̂₁) over 16 one-step posterior draws
  const S = GMM_BENCH.states;
  const D = GMM_BENCH.draws;
  const eps = normal(ks[7], [S * D, 2]);
  const states = normal(ks[8], [S, 2]);
  const tS = uniform(ks[9], [S * D]);
  // the paper's inverse problem: y = aᵀx + noise, a = (1.2, −0.8), σ = 0.2, y_obs = −1
  const A = tensor([[1.2], [-0.8]]);
  const zeros = ones([S * D]).mul(0);
  const onesSD = ones([S * D]);
  const steer = jit((p: MfmMlpParams, xs: Tensor) =>
    valueAndGrad((y: Tensor) => {
      const rep = y.reshape([S, 1, 2]).broadcastTo([S, D, 2]).reshape([S * D, 2]);
      const xhat = X(p, eps, rep, zeros, onesSD, tS);
      const r = xhat.matmul(A).sub(-1).square().mul(-1 / (2 * 0.2 ** 2)).reshape([S, D]);
      return logsumexp(r, 1).sub(Math.log(D)).sum();
    })(xs).grad
  );

  return [
    {
      name: "a_forward",
      description: `forward, batch ${B}`,
      step: async () => void await fwd(p0).data(),
    },
    { name: "b_flow_matching", description: "flow-matching step + Adam", step: trainer(fm) },
    {
      name: "c_semigroup",
      description: "semigroup consistency step (3 evaluations) + Adam",
      step: trainer(semigroup),
    },
    {
      name: "d_mean_flow",
      description: "Mean-Flow step (jvp in the loss) + Adam",
      step: trainer(meanFlow),
    },
    {
      name: "e_steering",
      description: `∇ of log-mean-exp reward, ${S} states × ${D} draws`,
      step: async () => void await steer(p0, states).data(),
    },
  ];
}
