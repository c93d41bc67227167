import assert from "assert";
import "@mfm/backends/cpu";
import { defKey, flatten, namedLeaves, type Tensor, tensor, treeMap, unflatten } from "@mfm/tensor";

Deno.test("flatten/unflatten round trip nested records and arrays with static leaves", () => {
  const tree = { b: [tensor(1), { c: tensor(2), n: 3 }], a: tensor(0), s: "x" };
  const { leaves, def } = flatten(tree);
  assert.deepEqual(leaves.map((t) => t.item()), [0, 1, 2]);
  const back = unflatten<typeof tree>(def, leaves);
  assert.equal(back.a, tree.a);
  assert.equal((back.b[1] as { n: number }).n, 3);
  assert.equal(back.s, "x");
  assert.equal(defKey(def), defKey(flatten(back).def));
  assert.deepEqual(namedLeaves(tree).map(([n]) => n), ["a", "b.0", "b.1.c"]);
});

Deno.test("treeMap maps matching trees and rejects mismatched ones", () => {
  const p = { w: tensor([1, 2]), b: tensor(3) };
  const g = { w: tensor([1, 1]), b: tensor(1) };
  const q = treeMap((x: Tensor, y: Tensor) => x.sub(y), p, g);
  assert.deepEqual(q.w.toArray(), [0, 1]);
  assert.throws(() => treeMap((x: Tensor) => x, p, { w: tensor([1]) }), /different structure/);
  assert.throws(() => flatten({ d: new Date() } as never), /tree at "d"/);
  assert.throws(() => unflatten(flatten(p).def, [tensor(1)]), /more than 1 leaves/);
});
