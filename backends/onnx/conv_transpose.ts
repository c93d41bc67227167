// When a conv with input dilation (the input cotangent of a strided conv) is an ONNX ConvTranspose.
import type { PrimParams } from "@mfm/tensor";

/**
 * ConvTranspose pads and output padding for a conv with input dilation, or null when it is not
 * one: unit strides and, per spatial axis, pads kd − 1 − p ≥ 0 (kd the dilated kernel), where a
 * missing high end becomes output padding (< the stride, as ONNX requires).
 *
 * @example
 * ```ts
 * const p = { strides: [1, 1], padding: [[1, 2], [1, 2]], lhsDilation: [2, 2], rhsDilation: [1, 1] } as const;
 * asConvTranspose(p, [4, 3, 3, 3]); // { pads: [1, 1, 0, 0], outputPadding: [0, 0] }
 * ```
 */
export function asConvTranspose(
  p: PrimParams["conv"],
  wShape: readonly number[],
): { pads: number[]; outputPadding: number[] } | null {
  if (p.lhsDilation.every((d) => d === 1) || p.strides.some((s) => s !== 1)) return null;
  const lo: number[] = [];
  const hi: number[] = [];
  const outputPadding: number[] = [];
  for (const a of [0, 1] as const) {
    const kd = (wShape[2 + a] - 1) * p.rhsDilation[a] + 1;
    const begin = kd - 1 - p.padding[a][0];
    const end = kd - 1 - p.padding[a][1];
    if (begin < 0 || -end >= p.lhsDilation[a]) return null;
    lo.push(begin);
    hi.push(Math.max(0, end));
    outputPadding.push(Math.max(0, -end));
  }
  return { pads: [...lo, ...hi], outputPadding };
}
