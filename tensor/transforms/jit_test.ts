import assert from "assert";
import "@mfm/backends/cpu";
import {
  assertAllClose,
  grad,
  jit,
  jvp,
  key,
  makeGraph,
  normal,
  printGraph,
  softmax,
  split,
  type Tensor,
  tensor,
  valueAndGrad,
} from "@mfm/tensor";

Deno.test("jit matches eager, caches per signature, and composes with grad and jvp", () => {
  const f = (p: { w: Tensor }, x: Tensor) => softmax(x.matmul(p.w), -1).square().sum();
  const [k1, k2] = split(key(0));
  const p = { w: normal(k1, [3, 4]) };
  const x = normal(k2, [5, 3]);
  const jf = jit(f);
  assertAllClose(jf(p, x), f(p, x), { rtol: 1e-6 });
  assert.equal(jf.cacheSize, 1);
  jf(p, normal(k2, [5, 3]));
  assert.equal(jf.cacheSize, 1, "same signature reuses the compiled graph");
  jf(p, normal(k2, [7, 3]));
  assert.equal(jf.cacheSize, 2, "a new batch size compiles again");
  // jit of grad and grad of jit agree with eager grad
  const g = grad(f)(p, x) as { w: Tensor };
  assertAllClose((jit(grad(f))(p, x) as { w: Tensor }).w, g.w, { rtol: 1e-6 });
  assertAllClose((grad(jf)(p, x) as { w: Tensor }).w, g.w, { rtol: 1e-6 });
  const t = jvp((y: Tensor) => jf(p, y), [x], [x]).tangent;
  assertAllClose(t, jvp((y: Tensor) => f(p, y), [x], [x]).tangent, { rtol: 1e-6 });
});

Deno.test("a whole training step (value, grad, update) is one jitted call", () => {
  const step = jit((w: Tensor, x: Tensor, y: Tensor) => {
    const { value, grad: g } = valueAndGrad((v: Tensor) => x.matmul(v).sub(y).square().mean())(w);
    return { loss: value, w: w.sub((g as Tensor).mul(0.1)) };
  });
  const x = normal(key(1), [64, 2]);
  const y = x.matmul(tensor([[2], [-1]]));
  let w = tensor([[0], [0]]);
  let first = 0;
  let last = 0;
  for (let i = 0; i < 100; i++) {
    const r = step(w, x, y);
    w = r.w;
    if (i === 0) first = r.loss.item();
    last = r.loss.item();
  }
  assert.ok(last < first * 1e-3, `loss ${first} → ${last}`);
  assertAllClose(w, [2, -1], { rtol: 1e-2 });
  assert.equal(step.cacheSize, 1);
});

Deno.test("graphs print as readable text and are cleaned of duplicates", () => {
  const g = makeGraph((x: Tensor) => x.exp().add(x.exp()).sum(), tensor([1, 2, 3]));
  const text = printGraph(g);
  assert.equal(
    text,
    [
      "{ lambda a:f32[3] ;",
      "    b:f32[3] = exp a",
      "    c:f32[3] = add b b",
      "    d:f32[] = reduce_sum[axes=[0]] c",
      "  in (d) }",
    ].join("\n"),
  );
});

Deno.test("jit handles identity outputs, static leaves, constants and backend errors", () => {
  const id = jit((x: Tensor, n: number) => ({ same: x, n, scaled: x.mul(n) }));
  const x = tensor([1, 2]);
  const r = id(x, 3);
  assert.deepEqual(r.same.toArray(), [1, 2]);
  assert.equal(r.n, 3);
  assert.deepEqual(r.scaled.toArray(), [3, 6]);
  assert.deepEqual(id(x, 4).scaled.toArray(), [4, 8]);
  assert.equal(id.cacheSize, 2, "static leaves are part of the signature");
  const c = tensor([10, 20]);
  assert.deepEqual(jit(() => c)().toArray(), [10, 20], "a captured constant as the output");
  assert.throws(
    () => jit((_k: Tensor, y: Tensor) => y)(key(0) as never, x),
    /PRNG keys are not traced/,
  );
});

Deno.test("constants are folded when the result is small or no larger than its inputs", () => {
  const c = tensor([1, 2, 3]);
  const g = makeGraph((x: Tensor) => x.add(c.mul(2).sub(1).sum()), tensor([0, 0]));
  // the constant maths, and the small broadcast of its result, are gone
  assert.deepEqual(g.eqns.map((e) => e.prim), ["add"]);
  assert.equal(g.consts.length, 1);
  assert.deepEqual(g.consts[0].value.toArray(), [9, 9]);
  assert.deepEqual(jit((x: Tensor) => x.add(c.mul(2).sub(1).sum()))(tensor([0, 1])).toArray(), [
    9,
    10,
  ]);
});
