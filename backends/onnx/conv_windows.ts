// When a small-output conv is cheaper as window slices, each one Gemm with the kernel.
import type { PrimParams } from "@mfm/tensor";
import { type Emitter, int, ints, str } from "./emitter.ts";

/** Largest output plane (HO·WO) lowered as windows; each position copies one input window. */
const MAX_WINDOWS = 25;

/**
 * Whether a conv should run as HO·WO window slices of the input, each a `[N, C·kh·kw] ×
 * [C·kh·kw, O]` product, instead of ONNX Conv: when the output plane is small (≤ 25 positions)
 * and the kernel covers at least as many positions as the output. That is the shape of a conv's
 * kernel cotangent (a kernel as large as the image, a 3×3 output), where ORT's im2col +
 * per-image GEMM (M = O, N = HO·WO) ran at 9–25 GFLOP/s here and the window products at 25–50
 * (`deno task bench:conv`).
 *
 * @example
 * ```ts
 * const p = { strides: [1, 1], padding: [[1, 1], [1, 1]], lhsDilation: [1, 1], rhsDilation: [1, 1] } as const;
 * useConvWindows(p, [3, 3], [16, 64, 28, 28]); // true: 9 windows of a 28×28 kernel
 * useConvWindows(p, [28, 28], [16, 16, 3, 3]); // false: an ordinary 3×3 conv
 * ```
 */
export function useConvWindows(
  p: PrimParams["conv"],
  outPlane: readonly [number, number],
  wShape: readonly number[],
): boolean {
  const positions = outPlane[0] * outPlane[1];
  return p.lhsDilation.every((d) => d === 1) && positions >= 1 && positions <= MAX_WINDOWS &&
    wShape[2] * wShape[3] >= positions;
}

/**
 * The window of output position (i, j): per spatial axis the slice start, end and step into the
 * padded input.
 *
 * @example
 * ```ts
 * const p = { strides: [2, 2], padding: [[0, 0], [0, 0]], lhsDilation: [1, 1], rhsDilation: [1, 1] } as const;
 * convWindow(p, [3, 3], 1, 0); // { starts: [2, 0], ends: [5, 3], steps: [1, 1] }
 * ```
 */
export function convWindow(
  p: PrimParams["conv"],
  kernel: readonly [number, number],
  i: number,
  j: number,
): { starts: number[]; ends: number[]; steps: number[] } {
  const starts = [i * p.strides[0], j * p.strides[1]];
  return {
    starts,
    ends: starts.map((s, a) => s + (kernel[a] - 1) * p.rhsDilation[a] + 1),
    steps: [...p.rhsDilation],
  };
}

/**
 * A conv as matrix products: each of the HO·WO output positions slices its input window
 * [N, C, kh, kw] (strided by the kernel dilation) and multiplies it, as [N, C·kh·kw], by the
 * kernel as [O, C·kh·kw] (Gemm, transposed); the [N, O] products stack and transpose to NCHW.
 * (One Gemm over all stacked windows was slower: the stacking copies every window again.)
 * `pads` are the conv's [top, left, bottom, right] paddings; negative ones were cropped already.
 *
 * @example
 * ```ts
 * const y = convAsWindows(e, "x", "w", params, [1, 1, 1, 1], { n: 16, o: 16, ho: 3, wo: 3, ws: [16, 64, 28, 28] });
 * ```
 */
export function convAsWindows(
  e: Emitter,
  x: string,
  w: string,
  params: PrimParams["conv"],
  pads: readonly number[],
  shapes: { n: number; o: number; ho: number; wo: number; ws: readonly number[] },
): string {
  const { n, o, ho, wo, ws } = shapes;
  const k = ws[1] * ws[2] * ws[3];
  const positive = pads.map((p) => Math.max(0, p));
  const padded = positive.some((p) => p > 0)
    ? e.node("Pad", [x, e.ints([0, 0, positive[0], positive[1], 0, 0, positive[2], positive[3]])], [
      str("mode", "constant"),
    ])
    : x;
  const kernel = e.node("Reshape", [w, e.ints([o, k])]);
  const products: string[] = [];
  for (let i = 0; i < ho; i++) {
    for (let j = 0; j < wo; j++) {
      const { starts, ends, steps } = convWindow(params, [ws[2], ws[3]], i, j);
      const s = e.node("Slice", [
        padded,
        e.ints(starts),
        e.ints(ends),
        e.ints([2, 3]),
        e.ints(steps),
      ]);
      const window = e.node("Reshape", [s, e.ints([n, k])]);
      products.push(e.node("Gemm", [window, kernel], [int("transB", 1)]));
    }
  }
  const stacked = products.length === 1
    ? products[0]
    : e.node("Concat", products, [int("axis", 0)]);
  const planes = e.node("Reshape", [stacked, e.ints([ho, wo, n, o])]);
  return e.node("Transpose", [planes], [ints("perm", [2, 3, 0, 1])]);
}
