/**
 * The committed MNIST checkpoints: the classifier (safetensors + ONNX) and the UNet MFM, loaded
 * without retraining.
 *
 * @module
 */

import {
  flowMapOf,
  initMfmUNet,
  key,
  loadParams,
  type MfmUNetConfig,
  mfmUNetConfig,
  type MfmUNetParams,
  mfmUNetVelocity,
  type StochasticFlowMap,
} from "../../mod.ts";
import { type ClassifierParams, initClassifier } from "./classifier.ts";

/** Where the committed MNIST checkpoints live. */
export const MNIST_CHECKPOINT_DIR: string =
  new URL("../../checkpoints/mnist", import.meta.url).pathname;

/**
 * Loads `classifier.safetensors` from a folder (default: the committed one).
 *
 * @example
 * ```ts
 * const clf = await loadClassifier();
 * ```
 */
export function loadClassifier(dir = MNIST_CHECKPOINT_DIR): Promise<ClassifierParams> {
  return loadParams(`${dir}/classifier.safetensors`, initClassifier(key(0)));
}

/**
 * Loads `mfm.json` + `mfm.safetensors` (the UNet MFM's EMA weights).
 *
 * @example
 * ```ts
 * const { mfm } = await loadMnistMfm();
 * ```
 */
export async function loadMnistMfm(
  dir = MNIST_CHECKPOINT_DIR,
): Promise<{ mfm: StochasticFlowMap; net: MfmUNetConfig; params: MfmUNetParams }> {
  const meta = JSON.parse(await Deno.readTextFile(`${dir}/mfm.json`)) as {
    net: {
      side: number;
      channels: number[];
      fourier: number;
      attention: boolean;
      embedDim: number;
      gateContext?: boolean;
    };
  };
  const net = mfmUNetConfig(meta.net);
  const params = await loadParams(`${dir}/mfm.safetensors`, initMfmUNet(key(0), net));
  return { mfm: flowMapOf(mfmUNetVelocity(net, params)), net, params };
}
