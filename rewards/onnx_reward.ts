/**
 * A reward read from an ONNX file through the importer: differentiable on every backend.
 *
 * @module
 */

import { importOnnx } from "@mfm/backends/onnx";
import { fmtShape } from "@mfm/tensor";
import { PLUGIN_API_VERSION, use } from "@mfm/plugins";
import { classifierMixtureReward, type RewardModel } from "./rewards.ts";

/**
 * r(x) = output `output` (default 0) of an ONNX model, squeezed to `[B]`; with `classWeights`,
 * the model's output is read as class logits and r = log Σ_c w_c p(c | x).
 *
 * @example
 * ```ts
 * const r = await onnxReward("classifier.onnx", { classWeights: [0, .1, 0, .1, 0, .2, 0, .2, 0, .4] });
 * ```
 */
export async function onnxReward(
  path: string,
  opts: { output?: number; classWeights?: readonly number[] } = {},
): Promise<RewardModel> {
  const model = await importOnnx(path);
  const out = opts.output ?? 0;
  if (!Number.isInteger(out) || out < 0 || out >= model.outputs.length) {
    throw new RangeError(
      `onnxReward: output ${out} out of range; ${path} has ${model.outputs.length} outputs`,
    );
  }
  const first = (x: Parameters<RewardModel["reward"]>[0]) => model.call(x)[out];
  if (opts.classWeights) {
    return classifierMixtureReward(first, opts.classWeights, `onnx_classifier(${path})`);
  }
  return {
    name: `onnx(${path})`,
    differentiable: true,
    reward: (x) => {
      const y = first(x);
      if (y.size !== x.shape[0]) {
        throw new RangeError(`onnxReward: output ${fmtShape(y.shape)} is not one value per state`);
      }
      return y.reshape([x.shape[0]]);
    },
  };
}

use({
  name: "mfm/onnx-reward",
  apiVersion: PLUGIN_API_VERSION,
  description: "rewards read from ONNX files",
  rewards: {
    onnx: (o) =>
      onnxReward(o.path as string, {
        output: o.output as number,
        classWeights: o.classWeights as number[],
      }),
  },
});
