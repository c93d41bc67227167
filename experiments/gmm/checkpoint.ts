/**
 * The committed GMM MFM (the demo's EMA weights): load it as a stochastic flow map, so steering
 * and fine-tuning start without retraining.
 *
 * @module
 */

import {
  flowMapOf,
  initMfmMlp,
  key,
  loadParams,
  type MfmMlpConfig,
  mfmMlpConfig,
  type MfmMlpParams,
  mfmMlpVelocity,
  type StochasticFlowMap,
} from "../../mod.ts";

/** Where the committed checkpoint lives. */
export const GMM_CHECKPOINT_DIR: string =
  new URL("../../checkpoints/gmm", import.meta.url).pathname;

/**
 * Loads `mfm.json` and `mfm.safetensors` from a folder (default: the committed checkpoint).
 *
 * @example
 * ```ts
 * const { mfm } = await loadGmmMfm();
 * const x1 = mfmPosteriorSampler(mfm)(key(0), t, xt);
 * ```
 */
export async function loadGmmMfm(
  dir = GMM_CHECKPOINT_DIR,
): Promise<{ mfm: StochasticFlowMap; net: MfmMlpConfig; params: MfmMlpParams }> {
  const meta = JSON.parse(await Deno.readTextFile(`${dir}/mfm.json`)) as { net: MfmMlpConfig };
  const net = mfmMlpConfig(meta.net);
  const params = await loadParams(`${dir}/mfm.safetensors`, initMfmMlp(key(0), net));
  return { mfm: flowMapOf(mfmMlpVelocity(net, params)), net, params };
}
