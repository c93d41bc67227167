import assert from "assert";
import sharp from "sharp";
import { imageGridPng } from "./images.ts";

Deno.test("imageGridPng: pixels land where they belong, in the colour they should", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/grid.png`;
  // 2×2 images: one black-to-white ramp, one all-white; scale 2, no labels (gap 4 on the left/top)
  await imageGridPng(path, [[[-1, 1, 1, -1], [1, 1, 1, 1]]], { height: 2, width: 2, scale: 2 });
  const { data, info } = await sharp(await Deno.readFile(path)).raw().toBuffer({
    resolveWithObject: true,
  });
  assert.equal(info.width, 4 + 2 * (4 + 4));
  assert.equal(info.height, 4 + 4 + 4);
  const at = (x: number, y: number) => data[(y * info.width + x) * info.channels];
  assert.equal(at(4, 4), 0); // top-left pixel of the first image: −1 → black
  assert.equal(at(6, 4), 255); // top-right: +1 → white
  assert.equal(at(6, 6), 0); // bottom-right: −1
  await assert.rejects(
    () => imageGridPng(path, [[[0, 0, 0]]], { height: 2, width: 2 }),
    /has 3 values, expected 2×2/,
  );
  await imageGridPng(path, [[[0, 0, 0, 0]]], {
    height: 2,
    width: 2,
    colormap: "diverging",
    rowLabels: ["a<b"],
    colLabels: ["x"],
  });
  await Deno.remove(dir, { recursive: true });
});
