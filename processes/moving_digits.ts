/**
 * Moving digits — the "video" general process: one MNIST digit (downsampled to 14×14) drifts
 * across a 20×20 frame with a constant random velocity plus Brownian jitter, bouncing off the
 * walls; frames are rendered at sub-pixel positions (bilinear), values in [−1, 1]. Given the
 * digit, its position and velocity, future frames are simulated exactly, so true ensembles are
 * at hand for scoring.
 *
 * @module
 */

import { type Key, normalArray, split, uniformArray } from "@mfm/tensor";
import type { MnistSplit } from "@mfm/datasets";

/** Options of `MovingDigits`. */
export interface MovingDigitsOptions {
  /** Frame side; default 20. */
  frame?: number;
  /** Speed range in pixels per unit time (direction uniform); default [1.5, 3]. */
  speed?: readonly [number, number];
  /** Brownian jitter of the position, pixels per √time; default 0.6. */
  jitter?: number;
}

/** Hidden state of a batch of clips: which digit, unfolded position, velocity. */
export interface DigitStates {
  /** Digit indices into the MNIST split. */
  readonly digit: Int32Array;
  /** Unfolded positions (x, y) per clip (reflection is applied when rendering). */
  readonly pos: Float64Array;
  /** Velocities (x, y) per clip. */
  readonly vel: Float64Array;
}

const DIGIT = 14;

/**
 * The process over one MNIST split.
 *
 * @example
 * ```ts
 * const v = new MovingDigits(loadMnistSync("test"));
 * const s = v.start(key(0), 4);
 * const frames = v.render(s);              // [4 × 400] values in [−1, 1]
 * const later = v.advance(key(1), s, [1, 1, 1, 1]);
 * ```
 */
export class MovingDigits {
  /** Frame side. */
  readonly frame: number;
  /** Values per frame. */
  readonly size: number;
  /** Speed range. */
  readonly speed: readonly [number, number];
  /** Position jitter. */
  readonly jitter: number;
  /** The digits drawn from. */
  readonly data: MnistSplit;
  readonly #small = new Map<number, Float32Array>();

  /** Validates the options. */
  constructor(data: MnistSplit, opts: MovingDigitsOptions = {}) {
    this.frame = opts.frame ?? 20;
    if (!Number.isInteger(this.frame) || this.frame < DIGIT) {
      throw new RangeError(`MovingDigits: frame ${this.frame} must be an integer ≥ ${DIGIT}`);
    }
    this.size = this.frame * this.frame;
    this.speed = opts.speed ?? [1.5, 3];
    this.jitter = opts.jitter ?? 0.6;
    if (!(this.speed[0] >= 0 && this.speed[1] >= this.speed[0]) || !(this.jitter >= 0)) {
      throw new RangeError(
        `MovingDigits: speed [${this.speed}] must be 0 ≤ low ≤ high and jitter ${this.jitter} ≥ 0`,
      );
    }
    this.data = data;
  }

  /** The 14×14 digit (2×2 means of the 28×28 image), intensities in [0, 1]. */
  digit(index: number): Float32Array {
    let d = this.#small.get(index);
    if (!d) {
      const P = this.data.pixels.subarray(index * 784, (index + 1) * 784);
      d = new Float32Array(DIGIT * DIGIT);
      for (let r = 0; r < DIGIT; r++) {
        for (let c = 0; c < DIGIT; c++) {
          const o = 2 * r * 28 + 2 * c;
          d[r * DIGIT + c] = (P[o] + P[o + 1] + P[o + 28] + P[o + 29]) / (4 * 255);
        }
      }
      this.#small.set(index, d);
    }
    return d;
  }

  /** `count` clips at time 0: random digits, uniform positions, random velocities. */
  start(k: Key, count: number): DigitStates {
    const [kd, kp, kv] = split(k, 3);
    const R = this.frame - DIGIT;
    const ud = uniformArray(kd, count);
    const up = uniformArray(kp, 2 * count);
    const uv = uniformArray(kv, 2 * count);
    const vel = new Float64Array(2 * count);
    for (let i = 0; i < count; i++) {
      const a = 2 * Math.PI * uv[2 * i];
      const s = this.speed[0] + (this.speed[1] - this.speed[0]) * uv[2 * i + 1];
      vel[2 * i] = s * Math.cos(a);
      vel[2 * i + 1] = s * Math.sin(a);
    }
    return {
      digit: Int32Array.from(ud, (u) => Math.floor(u * this.data.count)),
      pos: Float64Array.from(up, (u) => u * R),
      vel,
    };
  }

  /** The clips `lags[i]` later: position += v·lag + jitter·√lag·ξ (an exact draw). */
  advance(k: Key, s: DigitStates, lags: ArrayLike<number>): DigitStates {
    const count = s.digit.length;
    if (lags.length !== count) {
      throw new RangeError(`MovingDigits.advance: ${lags.length} lags for ${count} clips`);
    }
    const z = normalArray(k, 2 * count);
    const pos = new Float64Array(2 * count);
    for (let i = 0; i < count; i++) {
      const h = lags[i];
      if (!(h >= 0)) throw new RangeError(`MovingDigits.advance: lag ${h} must be ≥ 0`);
      for (let a = 0; a < 2; a++) {
        pos[2 * i + a] = s.pos[2 * i + a] + s.vel[2 * i + a] * h +
          this.jitter * Math.sqrt(h) * z[2 * i + a];
      }
    }
    return { digit: s.digit, pos, vel: s.vel };
  }

  /** Frames `[count × size]`: each digit at its reflected position, bilinear, in [−1, 1]. */
  render(s: DigitStates): Float64Array {
    const L = this.frame;
    const R = L - DIGIT;
    const fold = (x: number) => {
      const y = ((x % (2 * R)) + 2 * R) % (2 * R);
      return y > R ? 2 * R - y : y;
    };
    const count = s.digit.length;
    const out = new Float64Array(count * this.size).fill(-1);
    for (let i = 0; i < count; i++) {
      const d = this.digit(s.digit[i]);
      const px = fold(s.pos[2 * i]);
      const py = fold(s.pos[2 * i + 1]);
      const at = (r: number, c: number) =>
        r >= 0 && r < DIGIT && c >= 0 && c < DIGIT ? d[r * DIGIT + c] : 0;
      for (let r = 0; r < L; r++) {
        const y = r - py;
        const y0 = Math.floor(y);
        const fy = y - y0;
        if (y0 < -1 || y0 >= DIGIT) continue;
        for (let c = 0; c < L; c++) {
          const x = c - px;
          const x0 = Math.floor(x);
          const fx = x - x0;
          if (x0 < -1 || x0 >= DIGIT) continue;
          const v = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) +
            fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
          out[i * this.size + r * L + c] = 2 * v - 1;
        }
      }
    }
    return out;
  }
}
