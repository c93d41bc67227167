/**
 * Plots as SVG, written as PNG through sharp: scatter panels (samples against references) and
 * line plots (loss curves). Small and dependency-free apart from the PNG encoding.
 *
 * @module
 */

import sharp from "sharp";
import { writeFileAtomic } from "@mfm/tensor";

/** A set of 2-D points with a style. */
export interface Series {
  /** Interleaved x, y coordinates. */
  readonly points: ArrayLike<number>;
  /** CSS colour. */
  readonly color: string;
  /** Legend label. */
  readonly label?: string;
  /** Dot radius in pixels; default 1.5. */
  readonly radius?: number;
  /** Dot opacity; default 0.5. */
  readonly opacity?: number;
}

/** One scatter panel. */
export interface ScatterPanel {
  /** Title above the panel. */
  readonly title: string;
  /** Point sets, drawn in order. */
  readonly series: readonly Series[];
  /** Highlighted points (drawn as crosses). */
  readonly markers?: readonly { x: number; y: number }[];
  /** Axis range [min, max] for both axes; default [-6, 6]. */
  readonly range?: readonly [number, number];
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function panelSvg(p: ScatterPanel, ox: number, oy: number, size: number): string {
  const [lo, hi] = p.range ?? [-6, 6];
  const pad = 28;
  const inner = size - 2 * pad;
  const sx = (x: number) => ox + pad + ((x - lo) / (hi - lo)) * inner;
  const sy = (y: number) => oy + pad + (1 - (y - lo) / (hi - lo)) * inner;
  const parts: string[] = [
    `<rect x="${ox + pad}" y="${
      oy + pad
    }" width="${inner}" height="${inner}" fill="#fff" stroke="#999"/>`,
    `<text x="${ox + size / 2}" y="${
      oy + 18
    }" font-family="sans-serif" font-size="13" text-anchor="middle">${esc(p.title)}</text>`,
    `<text x="${ox + pad}" y="${
      oy + size - 8
    }" font-family="sans-serif" font-size="10" fill="#666">${lo}</text>`,
    `<text x="${ox + size - pad}" y="${
      oy + size - 8
    }" font-family="sans-serif" font-size="10" fill="#666" text-anchor="end">${hi}</text>`,
  ];
  p.series.forEach((s, si) => {
    const r = s.radius ?? 1.5;
    const dots: string[] = [];
    for (let i = 0; i + 1 < s.points.length; i += 2) {
      const x = s.points[i];
      const y = s.points[i + 1];
      if (x < lo || x > hi || y < lo || y > hi) continue;
      dots.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="${r}"/>`);
    }
    parts.push(`<g fill="${s.color}" fill-opacity="${s.opacity ?? 0.5}">${dots.join("")}</g>`);
    if (s.label) {
      const ly = oy + pad + 14 + 14 * si;
      parts.push(`<circle cx="${ox + pad + 10}" cy="${ly - 4}" r="4" fill="${s.color}"/>`);
      parts.push(
        `<text x="${ox + pad + 18}" y="${ly}" font-family="sans-serif" font-size="11">${
          esc(s.label)
        }</text>`,
      );
    }
  });
  for (const m of p.markers ?? []) {
    const [cx, cy] = [sx(m.x), sy(m.y)];
    parts.push(
      `<path d="M${cx - 6},${cy - 6}L${cx + 6},${cy + 6}M${cx - 6},${cy + 6}L${cx + 6},${
        cy - 6
      }" stroke="#000" stroke-width="2"/>`,
    );
  }
  return parts.join("");
}

/**
 * Scatter panels in a grid, as one SVG.
 *
 * @example
 * ```ts
 * const svg = scatterPanels([{ title: "data", series: [{ points: xy, color: "#36c" }] }], 2);
 * ```
 */
export function scatterPanels(
  panels: readonly ScatterPanel[],
  cols = panels.length,
  size = 320,
): string {
  const rows = Math.ceil(panels.length / cols);
  const body = panels.map((p, i) =>
    panelSvg(p, (i % cols) * size, Math.floor(i / cols) * size, size)
  ).join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${cols * size}" height="${rows * size}">` +
    `<rect width="100%" height="100%" fill="#fff"/>${body}</svg>`;
}

/** A curve of a line plot. */
export interface Curve {
  /** x values. */
  readonly xs: readonly number[];
  /** y values. */
  readonly ys: readonly number[];
  /** CSS colour. */
  readonly color: string;
  /** Legend label. */
  readonly label: string;
}

/**
 * A line plot (log-scaled y when `logY`), as SVG.
 *
 * @example
 * ```ts
 * const svg = linePlot("loss", [{ xs: steps, ys: losses, color: "#c33", label: "total" }], true);
 * ```
 */
export function linePlot(
  title: string,
  curves: readonly Curve[],
  logY = false,
  width = 640,
  height = 360,
): string {
  if (curves.every((c) => c.xs.length === 0)) {
    throw new RangeError(`linePlot "${title}": no points to draw`);
  }
  const pad = 48;
  const f = (y: number) => (logY ? Math.log10(Math.max(y, 1e-12)) : y);
  const xs = curves.flatMap((c) => c.xs);
  const ys = curves.flatMap((c) => c.ys.map(f));
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y1 - y0 < 1e-12) [y0, y1] = [y0 - 1, y1 + 1];
  const sx = (x: number) => pad + ((x - x0) / Math.max(x1 - x0, 1e-12)) * (width - 2 * pad);
  const sy = (y: number) => height - pad - ((f(y) - y0) / (y1 - y0)) * (height - 2 * pad);
  // legend in one row above the frame, right-aligned, so it never covers a curve
  let legendX = width - pad;
  const lines = curves.map((c, i) => {
    const d = c.xs.map((x, j) => `${j ? "L" : "M"}${sx(x).toFixed(1)},${sy(c.ys[j]).toFixed(1)}`)
      .join("");
    const path = `<path d="${d}" fill="none" stroke="${c.color}" stroke-width="1.5"/>`;
    const text = `<text x="${legendX}" y="${
      pad - 8
    }" font-family="sans-serif" font-size="11" fill="${c.color}" text-anchor="end">${
      esc(c.label)
    }</text>`;
    legendX -= 7 * c.label.length + (i < curves.length - 1 ? 12 : 0);
    return path + text;
  }).join("");
  // axis values as numbers (log axes too: 126, 0.316 rather than 1e2.1, 1e-0.5)
  const label = (v: number) => Number((logY ? 10 ** v : v).toPrecision(3)).toString();
  // decade lines of a log axis
  const decades = logY
    ? Array.from(
      { length: Math.max(0, Math.floor(y1) - Math.ceil(y0) + 1) },
      (_, i) => Math.ceil(y0) + i,
    ).filter((k) => k > y0 && k < y1).map((k) => {
      const y = height - pad - ((k - y0) / (y1 - y0)) * (height - 2 * pad);
      // no label where it would overprint the axis' end values
      const text = y - pad > 12 && height - pad - y > 12
        ? `<text x="${pad - 4}" y="${
          (y + 4).toFixed(1)
        }" font-family="sans-serif" font-size="10" text-anchor="end">${label(k)}</text>`
        : "";
      return `<line x1="${pad}" x2="${width - pad}" y1="${y.toFixed(1)}" y2="${
        y.toFixed(1)
      }" stroke="#ddd"/>${text}`;
    }).join("")
    : "";
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/>` +
    `<rect x="${pad}" y="${pad}" width="${width - 2 * pad}" height="${
      height - 2 * pad
    }" fill="none" stroke="#999"/>` +
    `<text x="${width / 2}" y="20" font-family="sans-serif" font-size="14" text-anchor="middle">${
      esc(title)
    }</text>` + decades +
    `<text x="${pad - 4}" y="${
      pad + 4
    }" font-family="sans-serif" font-size="10" text-anchor="end">${label(y1)}</text>` +
    `<text x="${pad - 4}" y="${
      height - pad
    }" font-family="sans-serif" font-size="10" text-anchor="end">${label(y0)}</text>` +
    `<text x="${pad}" y="${
      height - pad + 14
    }" font-family="sans-serif" font-size="10">${x0}</text>` +
    `<text x="${width - pad}" y="${
      height - pad + 14
    }" font-family="sans-serif" font-size="10" text-anchor="end">${x1}</text>` +
    `${lines}</svg>`;
}

/**
 * Renders SVG to a PNG file (atomically).
 *
 * @example
 * ```ts
 * await savePng("out/samples.png", svg);
 * ```
 */
export async function savePng(path: string, svg: string): Promise<void> {
  const png = await sharp(new TextEncoder().encode(svg)).png().toBuffer();
  await writeFileAtomic(path, new Uint8Array(png));
}

/**
 * The usual training-loss plot (log y): total, diagonal and consistency terms against steps.
 *
 * @example
 * ```ts
 * await savePng("out/loss.png", lossCurves("training loss", result.losses));
 * ```
 */
export function lossCurves(
  title: string,
  records: readonly { step: number; loss: number; diagonal: number; consistency: number }[],
): string {
  const xs = records.map((r) => r.step);
  return linePlot(title, [
    { xs, ys: records.map((r) => r.loss), color: "#333", label: "total" },
    { xs, ys: records.map((r) => r.diagonal), color: "#36c", label: "diagonal" },
    { xs, ys: records.map((r) => r.consistency), color: "#c33", label: "consistency" },
  ], true);
}
