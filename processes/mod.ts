/**
 * General processes (MATH-core §8): extended MFMs conditioned on observations and a prediction
 * time, and the Ornstein–Uhlenbeck process with exact conditionals.
 *
 * @example
 * ```ts
 * import { OrnsteinUhlenbeck, ouProblem, trainContextMfm } from "@mfm/processes";
 * ```
 *
 * @module
 */

export * from "./ou.ts";
export * from "./context_mfm.ts";
export * from "./networks.ts";
export * from "./ou_context.ts";
export * from "./advection.ts";
export * from "./weather_context.ts";
export * from "./moving_digits.ts";
export * from "./video_context.ts";

import { PLUGIN_API_VERSION, use } from "@mfm/plugins";
import { ouProcessContext } from "./ou_context.ts";
import { weatherProcessContext } from "./weather_context.ts";
import { videoProcessContext } from "./video_context.ts";

use({
  name: "mfm/processes",
  apiVersion: PLUGIN_API_VERSION,
  description: "built-in general-process contexts",
  contexts: {
    ou: ouProcessContext(),
    weather: weatherProcessContext(),
    video: videoProcessContext(),
  },
});
