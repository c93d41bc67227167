// The reward of the GMM tasks (steer, finetune): the paper's linear-Gaussian likelihood by
// default, with its closed-form tilted target; or any registered reward — built-in or from a
// `--plugin` module — by `--reward NAME --reward-options JSON`, scored against the tilt by
// importance resampling (its effective sample size is reported).
import {
  key,
  linearGaussianReward,
  paperGmm,
  resampledTilt,
  type RewardModel,
  slicedW2,
  slicedW2ToLaw,
  type Tensor,
  type TiltedReference,
  tiltLinearGaussian,
} from "../mod.ts";
import { loadPlugin, pluginReward, registeredNames } from "../plugins/mod.ts";

/** The command-line options `taskReward` reads (for `parseArgs`). */
export const REWARD_ARGS = {
  plugin: { type: "string", multiple: true },
  reward: { type: "string" },
  "reward-options": { type: "string" },
} as const;

/** The task's reward, its tilted reference and how samples are scored against it. */
export interface TaskReward {
  readonly reward: RewardModel;
  readonly reference: TiltedReference;
  /** One line for the report. */
  readonly description: string;
  /** Sliced W2 of samples to the tilted law (exact law, or a 16 384-draw resampled set). */
  sw2(samples: Tensor): number;
}

/** Loads `plugins`, then builds the reward named by `name` (undefined: the default). */
export async function taskReward(
  plugins: readonly string[],
  name: string | undefined,
  options: string | undefined,
  seed: number,
  fail: (msg: string) => never,
): Promise<TaskReward> {
  for (const spec of plugins) {
    try {
      await loadPlugin(spec);
    } catch (e) {
      fail((e as Error).message);
    }
  }
  const gmm = paperGmm();
  if (name === undefined) {
    if (options !== undefined) fail("--reward-options needs --reward");
    const target = tiltLinearGaussian(gmm, [1.2, -0.8], -1, 0.2);
    return {
      reward: linearGaussianReward({ a: [1.2, -0.8], y: -1, sigma: 0.2 }),
      reference: target,
      description: "r(x) = −(y − aᵀx)²/(2σ²) with a = (1.2, −0.8), y = −1, σ = 0.2 " +
        "(exact tilted target in closed form)",
      sw2: (s) => slicedW2ToLaw(s, target, { projections: 128 }),
    };
  }
  if (!registeredNames("rewards").includes(name)) {
    fail(`--reward ${name} is not one of ${registeredNames("rewards").join(", ")}`);
  }
  let opts: Record<string, unknown> = {};
  try {
    opts = options === undefined ? {} : JSON.parse(options);
  } catch (e) {
    fail(`--reward-options ${options} is not JSON (${(e as Error).message})`);
  }
  let reward: RewardModel;
  try {
    reward = await pluginReward(name)(opts);
  } catch (e) {
    return fail(`reward ${name}: ${(e as Error).message}`);
  }
  const ref = resampledTilt(gmm, (x) => reward.reward(x), key(seed + 7777), 1 << 18);
  const pool = ref.sample(key(seed + 7778), 16384);
  return {
    reward,
    reference: ref,
    description: `${reward.name} (registered reward "${name}", options ${
      JSON.stringify(opts)
    }); tilted target by importance resampling of 2^18 prior draws, ESS ${ref.ess.toFixed(0)}`,
    sw2: (s) => slicedW2(s, pool, { projections: 128 }),
  };
}
