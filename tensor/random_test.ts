import assert from "assert";
import "@mfm/backends/cpu";
import {
  categorical,
  foldIn,
  key,
  normal,
  permutation,
  randomBits,
  split,
  tensor,
  threefry2x32,
  uniform,
} from "@mfm/tensor";

Deno.test("threefry2x32 matches the Random123 known-answer vectors", () => {
  assert.deepEqual(threefry2x32(0, 0, 0, 0), [0x6b200159, 0x99ba4efe]);
  assert.deepEqual(threefry2x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff), [
    0x1cb996fc,
    0xbb002be7,
  ]);
  assert.deepEqual(threefry2x32(0x13198a2e, 0x03707344, 0x243f6a88, 0x85a308d3), [
    0xc4923a9c,
    0x483df7a0,
  ]);
});

Deno.test("same key, same numbers; different keys, different numbers", () => {
  assert.deepEqual(normal(key(3), [100]).toArray(), normal(key(3), [100]).toArray());
  assert.deepEqual(Array.from(randomBits(key(3), 5)), Array.from(randomBits(key(3), 5)));
  assert.notDeepEqual(normal(key(3), [10]).toArray(), normal(key(4), [10]).toArray());
  const [a, b] = split(key(3));
  assert.notDeepEqual(a, b);
  assert.notDeepEqual(foldIn(key(3), 1), foldIn(key(3), 2));
  assert.throws(() => key(-1), /seed -1/);
  assert.throws(() => key(1.5), /seed 1.5/);
});

function corr(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let mx = 0, my = 0;
  for (let i = 0; i < x.length; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= x.length;
  my /= x.length;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

Deno.test("split keys give uncorrelated streams", () => {
  const n = 100_000;
  const [a, b, c] = split(key(0), 3);
  const xa = normal(a, [n]).dataSync();
  // |corr| of independent streams is ~N(0, 1/n): 5 standard errors
  for (const other of [b, c, foldIn(a, 0)]) {
    assert.ok(Math.abs(corr(xa, normal(other, [n]).dataSync())) < 5 / Math.sqrt(n));
  }
  // a parent and its children too
  assert.ok(Math.abs(corr(normal(key(0), [n]).dataSync(), xa)) < 5 / Math.sqrt(n));
});

Deno.test("normal: mean and variance within sampling error on 1e6 draws; uniform in range", () => {
  const n = 1_000_000;
  const x = normal(key(1), [n], { dtype: "float64" }).dataSync();
  let s = 0, s2 = 0, s4 = 0;
  for (const v of x) {
    s += v;
    s2 += v * v;
    s4 += v ** 4;
  }
  const mean = s / n;
  const variance = s2 / n - mean ** 2;
  assert.ok(Math.abs(mean) < 5 / Math.sqrt(n), `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 5 * Math.sqrt(2 / n), `variance ${variance}`);
  assert.ok(Math.abs(s4 / n - 3) < 5 * Math.sqrt(96 / n), `fourth moment ${s4 / n}`);
  const u = uniform(key(2), [n], { low: -2, high: 3 }).dataSync();
  let lo = Infinity, hi = -Infinity, su = 0;
  for (const v of u) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
    su += v;
  }
  assert.ok(lo >= -2 && hi < 3, `range [${lo}, ${hi}]`);
  assert.ok(Math.abs(su / n - 0.5) < 5 * Math.sqrt(25 / 12 / n));
});

Deno.test("categorical frequencies follow the softmax of the logits; permutation is one", () => {
  const p = [0.2, 0.5, 0.3];
  const n = 20_000;
  const logits = tensor(Array.from({ length: n }, () => p.map(Math.log)));
  const draws = categorical(key(5), logits).dataSync();
  const counts = [0, 0, 0];
  for (const d of draws) counts[d]++;
  counts.forEach((c, i) =>
    assert.ok(Math.abs(c / n - p[i]) < 5 * Math.sqrt(p[i] * (1 - p[i]) / n), `class ${i}: ${c / n}`)
  );
  const perm = Array.from(permutation(key(6), 50).dataSync());
  assert.deepEqual([...perm].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
  assert.notDeepEqual(perm, Array.from({ length: 50 }, (_, i) => i));
});
