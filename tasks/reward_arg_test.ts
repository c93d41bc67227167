import assert from "assert";
import "../backends/cpu/mod.ts";
import { key, setBackend } from "../mod.ts";
import { taskReward } from "./reward_arg.ts";

const fail = (msg: string): never => {
  throw new Error(msg);
};

Deno.test("task rewards: the default closed form, a plugin's reward by name, clear refusals", async () => {
  setBackend("cpu");
  const def = await taskReward([], undefined, undefined, 0, fail);
  assert.deepEqual(def.reference.weights.map((w) => +w.toFixed(3)), [0.572, 0.366, 0.062]);
  const spec = new URL("../examples/shortcut/mod.ts", import.meta.url).href;
  const ring = await taskReward([spec], "ring", '{"radius":3,"sigma":0.5}', 0, fail);
  // a ring of radius 3 through the outer modes at ±(3, 3)/√2·… keeps them and drops the centre
  const w = ring.reference.weights;
  assert.ok(Math.abs(w.reduce((a, b) => a + b, 0) - 1) < 1e-9);
  assert.ok(w[1] < 0.05 && w[0] > 0.4 && w[2] > 0.4, `ring tilt weights ${w}`);
  assert.ok(
    ring.sw2(ring.reference.sample(key(1), 2048)) < 0.15,
    "reference draws score at the floor",
  );
  await assert.rejects(
    () => taskReward([], "nope", undefined, 0, fail),
    /--reward nope is not one of/,
  );
  await assert.rejects(() => taskReward([], "ring", "{bad", 0, fail), /is not JSON/);
  await assert.rejects(() => taskReward([], undefined, "{}", 0, fail), /needs --reward/);
});
