/**
 * Reward models r(x) for alignment toward p(x) ∝ p_data(x) e^{r(x)} (MATH-reward §2): the
 * `RewardModel` interface, the linear-Gaussian inverse-problem log-likelihood, a classifier
 * mixture r = log Σ_c w_c p(c | x), a reward read from an ONNX file, multipliers and sums, and a
 * registry of reward kinds by name.
 *
 * @module
 */

import { checkNumber, constLike, fmtShape, logsumexp, type Tensor, tensor } from "@mfm/tensor";
import { PLUGIN_API_VERSION, pluginReward, registeredNames, use } from "@mfm/plugins";

/** A reward on batches of states. */
export interface RewardModel {
  /** Name, for reports. */
  readonly name: string;
  /** Whether ∇r exists (MFM-G and DPS need it; MFM-GF and Best-of-N do not). */
  readonly differentiable: boolean;
  /** r(x) for states `[B, ...]`: `[B]`. */
  reward(x: Tensor): Tensor;
}

/**
 * The log-likelihood of y = aᵀx + N(0, σ²) (up to a constant): r(x) = −(y − aᵀx)²/(2σ²).
 *
 * @example
 * ```ts
 * const r = linearGaussianReward({ a: [1.2, -0.8], y: -1, sigma: 0.2 });
 * ```
 */
export function linearGaussianReward(
  opts: { a: readonly number[]; y: number; sigma: number },
): RewardModel {
  const sigma = checkNumber(opts.sigma, "sigma", "linearGaussianReward", 0, Infinity, {
    minExclusive: true,
  });
  checkNumber(opts.y, "y", "linearGaussianReward");
  if (!Array.isArray(opts.a) || opts.a.length === 0) {
    throw new TypeError("linearGaussianReward: a must be a non-empty vector");
  }
  const d = opts.a.length;
  return {
    name: `linear_gaussian(σ=${sigma})`,
    differentiable: true,
    reward: (x) => {
      if (x.shape[x.rank - 1] !== d) {
        throw new RangeError(
          `linearGaussianReward: states ${fmtShape(x.shape)} do not end in ${d}`,
        );
      }
      const a = tensor(opts.a.map((v) => [v]), { dtype: x.dtype });
      return x.matmul(a).reshape([x.shape[0]]).sub(opts.y).square().mul(-1 / (2 * sigma * sigma));
    },
  };
}

/**
 * r(x) = log Σ_c w_c p(c | x) for a classifier returning logits `[B, C]`.
 *
 * @example
 * ```ts
 * const r = classifierMixtureReward((x) => classifier(x), [0, .1, 0, .1, 0, .2, 0, .2, 0, .4]);
 * ```
 */
export function classifierMixtureReward(
  logitsOf: (x: Tensor) => Tensor,
  weights: readonly number[],
  name = "classifier_mixture",
): RewardModel {
  if (!weights.every((w) => w >= 0) || !weights.some((w) => w > 0)) {
    throw new RangeError(
      `classifierMixtureReward: weights ${
        JSON.stringify(weights)
      } must be non-negative, not all zero`,
    );
  }
  const total = weights.reduce((a, b) => a + b, 0);
  const logW = weights.map((w) => (w > 0 ? Math.log(w / total) : -1e30));
  return {
    name,
    differentiable: true,
    reward: (x) => {
      const logits = logitsOf(x);
      if (logits.rank !== 2 || logits.shape[1] !== weights.length) {
        throw new RangeError(
          `classifierMixtureReward: logits ${
            fmtShape(logits.shape)
          }, expected [B, ${weights.length}]`,
        );
      }
      const lw = tensor([logW], { dtype: logits.dtype });
      return logsumexp(logits.add(lw), -1).sub(logsumexp(logits, -1));
    },
  };
}

/**
 * λ·r.
 *
 * @example
 * ```ts
 * const r2 = scaleReward(r, 2.5);
 * ```
 */
export function scaleReward(r: RewardModel, lambda: number): RewardModel {
  checkNumber(lambda, "lambda", "scaleReward");
  return {
    name: `${lambda}·${r.name}`,
    differentiable: r.differentiable,
    reward: (x) => r.reward(x).mul(constLike(lambda, x)),
  };
}

/**
 * Σ_i r_i.
 *
 * @example
 * ```ts
 * const r = sumRewards([likelihood, prior]);
 * ```
 */
export function sumRewards(rs: readonly RewardModel[]): RewardModel {
  if (rs.length === 0) throw new RangeError("sumRewards: needs at least one reward");
  return {
    name: rs.map((r) => r.name).join(" + "),
    differentiable: rs.every((r) => r.differentiable),
    reward: (x) => rs.map((r) => r.reward(x)).reduce((a, b) => a.add(b)),
  };
}

/** Makes a reward from JSON-style options (configs, plugins). */
export type RewardFactory = (
  options: Record<string, unknown>,
) => RewardModel | Promise<RewardModel>;

/**
 * Registers one reward kind (a one-reward plugin through `use`); duplicates are rejected.
 *
 * @example
 * ```ts
 * registerReward("my_reward", (o) => ({ name: "mine", differentiable: true, reward: (x) => … }));
 * ```
 */
export function registerReward(name: string, factory: RewardFactory): void {
  use({ name: `reward:${name}`, apiVersion: PLUGIN_API_VERSION, rewards: { [name]: factory } });
}

/**
 * Creates a registered reward by name.
 *
 * @example
 * ```ts
 * const r = await createReward("linear_gaussian", { a: [1.2, -0.8], y: -1, sigma: 0.2 });
 * ```
 */
export async function createReward(
  name: string,
  options: Record<string, unknown> = {},
): Promise<RewardModel> {
  const { lambda, ...rest } = options;
  const r = await pluginReward(name)(rest);
  return lambda === undefined ? r : scaleReward(r, lambda as number);
}

/**
 * The registered reward kinds.
 *
 * @example
 * ```ts
 * listRewards(); // ["linear_gaussian", "onnx"]
 * ```
 */
export function listRewards(): string[] {
  return registeredNames("rewards");
}

use({
  name: "mfm/rewards",
  apiVersion: PLUGIN_API_VERSION,
  description: "built-in reward kinds",
  rewards: {
    linear_gaussian: (o) =>
      linearGaussianReward({ a: o.a as number[], y: o.y as number, sigma: o.sigma as number }),
  },
});
