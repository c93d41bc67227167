import assert from "assert";
import "@mfm/backends/cpu";
import { tensor } from "@mfm/tensor";
import { escapedFraction } from "./metrics.ts";

Deno.test("escapedFraction: counts rows outside the ball and non-finite rows", () => {
  const x = tensor([[0, 1], [Number.NaN, 0], [300, 0], [2, 2], [0, Infinity], [3, 4]]);
  assert.equal(escapedFraction(x, 100), 3 / 6);
  assert.equal(escapedFraction(x, 4.9), 4 / 6); // |(3, 4)| = 5 is outside a ball of 4.9
  assert.throws(() => escapedFraction(tensor([1, 2]), 1), /\[B ≥ 1, d\]/);
  assert.throws(() => escapedFraction(x, 0), /radius 0/);
});
