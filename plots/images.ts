/**
 * Image grids as PNG: rows of small images (MNIST digits, video frames, 2-D fields) drawn pixel
 * for pixel through sharp's raw input, with optional row and column labels overlaid as SVG text.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import sharp from "sharp";
import { writeFileAtomic } from "@mfm/tensor";

/** Options of `imageGridPng`. */
export interface ImageGridOptions {
  /** Image height in pixels of data. */
  height: number;
  /** Image width. */
  width: number;
  /** Screen pixels per data pixel; default 4. */
  scale?: number;
  /** Values mapped to the colour scale's ends; default [-1, 1]. */
  range?: readonly [number, number];
  /** "gray" (black→white) or "diverging" (blue→white→red); default gray. */
  colormap?: "gray" | "diverging";
  /** One label per row, drawn left of it. */
  rowLabels?: readonly string[];
  /** One label per column, drawn above the first row. */
  colLabels?: readonly string[];
}

function colour(v: number, map: "gray" | "diverging"): [number, number, number] {
  const x = Math.min(1, Math.max(0, v));
  if (map === "gray") {
    const g = Math.round(255 * x);
    return [g, g, g];
  }
  // blue (0) → white (0.5) → red (1)
  const a = Math.abs(2 * x - 1);
  const hi = 255;
  const lo = Math.round(255 * (1 - a));
  return x < 0.5 ? [lo, lo, hi] : [hi, lo, lo];
}

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * Writes a grid of images (rows × columns; a row may be shorter) to a PNG file, atomically.
 *
 * @example
 * ```ts
 * await imageGridPng("out/digits.png", [[img0, img1], [img2, img3]], { height: 28, width: 28 });
 * ```
 */
export async function imageGridPng(
  path: string,
  rows: readonly (readonly ArrayLike<number>[])[],
  opts: ImageGridOptions,
): Promise<void> {
  const { height: h, width: w } = opts;
  const scale = opts.scale ?? 4;
  const [lo, hi] = opts.range ?? [-1, 1];
  const map = opts.colormap ?? "gray";
  if (!(hi > lo)) throw new RangeError(`imageGridPng: range [${lo}, ${hi}] must be increasing`);
  const cols = Math.max(0, ...rows.map((r) => r.length));
  if (rows.length === 0 || cols === 0) throw new RangeError("imageGridPng: no images");
  for (const [i, r] of rows.entries()) {
    for (const [j, img] of r.entries()) {
      if (img.length !== h * w) {
        throw new RangeError(
          `imageGridPng: image (${i}, ${j}) has ${img.length} values, expected ${h}×${w}`,
        );
      }
    }
  }
  const gap = 4;
  const left = opts.rowLabels ? 8 + 7 * Math.max(...opts.rowLabels.map((s) => s.length)) : gap;
  const top = opts.colLabels ? 18 : gap;
  const cw = w * scale + gap;
  const ch = h * scale + gap;
  const W = left + cols * cw;
  const H = top + rows.length * ch;
  const px = new Uint8Array(W * H * 3).fill(255);
  rows.forEach((r, i) =>
    r.forEach((img, j) => {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const rgb = colour((img[y * w + x] - lo) / (hi - lo), map);
          for (let dy = 0; dy < scale; dy++) {
            for (let dx = 0; dx < scale; dx++) {
              const o = ((top + i * ch + y * scale + dy) * W + left + j * cw + x * scale + dx) * 3;
              px[o] = rgb[0];
              px[o + 1] = rgb[1];
              px[o + 2] = rgb[2];
            }
          }
        }
      }
    })
  );
  let img = sharp(px, { raw: { width: W, height: H, channels: 3 } });
  if (opts.rowLabels || opts.colLabels) {
    const text = [
      ...(opts.rowLabels ?? []).map((s, i) =>
        `<text x="4" y="${top + i * ch + (h * scale) / 2 + 4}">${escape(s)}</text>`
      ),
      ...(opts.colLabels ?? []).map((s, j) =>
        `<text x="${left + j * cw}" y="13">${escape(s)}</text>`
      ),
    ].join("");
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">` +
      `<g font-family="sans-serif" font-size="11" fill="#222">${text}</g></svg>`;
    img = img.composite([{ input: Buffer.from(svg), top: 0, left: 0 }]);
  }
  await writeFileAtomic(path, new Uint8Array(await img.png().toBuffer()));
}
