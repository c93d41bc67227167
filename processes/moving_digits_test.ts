import assert from "assert";
import { key } from "@mfm/tensor";
import { loadMnistSync } from "@mfm/datasets";
import { MovingDigits } from "./moving_digits.ts";

Deno.test("MovingDigits: whole-pixel moves shift the frame; walls reflect; jitter has the right sd", () => {
  const v = new MovingDigits(loadMnistSync("test"), { jitter: 0 });
  const L = v.frame;
  const s = { digit: Int32Array.of(0), pos: Float64Array.of(2, 3), vel: Float64Array.of(2, -2) };
  const f0 = v.render(s);
  // the digit's mass is all on the frame: 2·Σ intensity − pixels = Σ values
  const d = v.digit(0);
  const mass = d.reduce((a, x) => a + x, 0);
  const sum0 = f0.reduce((a, x) => a + x + 1, 0) / 2;
  assert.ok(Math.abs(sum0 - mass) < 1e-9, `mass ${sum0} vs ${mass}`);
  // half a time unit at (2, −2): one pixel right, one up
  const f1 = v.render(v.advance(key(0), s, [0.5]));
  for (let r = 0; r < L; r++) {
    for (let c = 0; c < L; c++) {
      const src = r + 1 < L && c - 1 >= 0 ? f0[(r + 1) * L + c - 1] : -1;
      assert.ok(Math.abs(f1[r * L + c] - src) < 1e-9, `(${r}, ${c})`);
    }
  }
  // unfolded x = 6 + 2 = 8 reflects to 6 − 2 = 4 (R = 6)
  const a = v.render({ digit: Int32Array.of(0), pos: Float64Array.of(8, 3), vel: s.vel });
  const b = v.render({ digit: Int32Array.of(0), pos: Float64Array.of(4, 3), vel: s.vel });
  assert.deepEqual(a, b);
  // jitter: positions after lag 2 have sd jitter·√2 about x + v·2
  const j = new MovingDigits(loadMnistSync("test"), { jitter: 0.5 });
  const n = 4000;
  const many = {
    digit: new Int32Array(n),
    pos: new Float64Array(2 * n).fill(1),
    vel: new Float64Array(2 * n).fill(1),
  };
  const moved = j.advance(key(1), many, new Float64Array(n).fill(2));
  let m = 0;
  let q = 0;
  for (let i = 0; i < 2 * n; i++) {
    m += moved.pos[i] - 3;
    q += (moved.pos[i] - 3) ** 2;
  }
  assert.ok(Math.abs(m / (2 * n)) < 0.03, `mean offset ${m / (2 * n)}`);
  assert.ok(Math.abs(Math.sqrt(q / (2 * n)) - 0.5 * Math.SQRT2) < 0.03);
  assert.throws(() => j.advance(key(2), many, [1]), /1 lags for 4000 clips/);
});
