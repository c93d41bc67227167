// The committed GMM checkpoint loads and still samples good posteriors.
import assert from "assert";
import "../../backends/mod.ts";
import {
  full,
  key,
  mfmPosteriorSampler,
  paperGmm,
  setBackend,
  slicedW2ToLaw,
  tensor,
} from "../../mod.ts";
import { loadGmmMfm } from "./checkpoint.ts";
import { posteriorLaw } from "./evaluate.ts";

Deno.test("the committed GMM MFM loads and its one-step posterior is close to the exact one", async () => {
  setBackend("onnx");
  try {
    const { mfm } = await loadGmmMfm();
    const gmm = paperGmm();
    const n = 2048;
    const x = [0.3, -0.4];
    const draws = mfmPosteriorSampler(mfm)(
      key(1),
      full([n], 0.5),
      tensor(Array.from({ length: n }, () => x)),
    );
    const sw2 = slicedW2ToLaw(draws, posteriorLaw(gmm, 0.5, x), { projections: 32 });
    assert.ok(sw2 < 0.3, `posterior sliced W2 ${sw2}`);
  } finally {
    setBackend("cpu");
  }
});
