import assert from "assert";
import { linePlot } from "./plots.ts";

Deno.test("linePlot: log axes are labelled with numbers and decade lines; legend above the frame", () => {
  const svg = linePlot("loss", [
    { xs: [0, 1, 2], ys: [200, 20, 0.05], color: "#333", label: "total" },
    { xs: [0, 1, 2], ys: [100, 10, 0.04], color: "#c33", label: "consistency" },
  ], true);
  // extremes 200 and 0.04 as numbers, not 1e2.3 / 1e-1.4
  assert.match(svg, />200<\/text>/);
  assert.match(svg, />0\.04<\/text>/);
  assert.doesNotMatch(svg, />1e-?\d/);
  // decades strictly inside (0.04, 200): 0.1, 1, 10, 100
  for (const d of ["0.1", "1", "10", "100"]) {
    assert.match(svg, new RegExp(`>${d.replace(".", "\\.")}</text>`));
  }
  assert.equal((svg.match(/stroke="#ddd"/g) ?? []).length, 4);
  // both legend entries sit on the line above the frame (y = pad − 8 = 40), the second left of the first
  const xs = [...svg.matchAll(/<text x="([\d.]+)" y="40"[^>]*>(total|consistency)</g)].map((m) =>
    Number(m[1])
  );
  assert.equal(xs.length, 2);
  assert.ok(xs[1] < xs[0], `legend entries overlap: ${xs}`);
});

Deno.test("linePlot: linear axes keep three significant digits and draw no decade lines", () => {
  const svg = linePlot("x", [{ xs: [0, 1], ys: [0.123456, 2.5], color: "#333", label: "a" }]);
  assert.match(svg, />0\.123<\/text>/);
  assert.match(svg, />2\.5<\/text>/);
  assert.doesNotMatch(svg, /#ddd/);
});

Deno.test("linePlot: nothing to draw is an error, not an empty frame labelled Infinity", () => {
  assert.throws(
    () => linePlot("empty", [{ xs: [], ys: [], color: "#333", label: "a" }]),
    /linePlot "empty": no points to draw/,
  );
});
