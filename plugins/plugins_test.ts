import assert from "assert";
import "@mfm/backends";
import "@mfm/losses";
import "@mfm/rewards";
import { ouProcessContext } from "@mfm/processes";
import {
  createReward,
  getObjective,
  key,
  listPlugins,
  loadPlugin,
  normal,
  paperGmm,
  type Plugin,
  PLUGIN_API_VERSION,
  resolveConfig,
  trainMfm,
  use,
} from "../mod.ts";

const ok: Plugin = { name: "test/ok", apiVersion: PLUGIN_API_VERSION };

Deno.test("the plugin door rejects duplicates, unknown kinds, bad versions and malformed hooks", () => {
  use(ok);
  assert.throws(() => use(ok), /a plugin named "test\/ok" is already registered/);
  assert.throws(
    () => use({ ...ok, name: "test/v2", apiVersion: 2 }),
    /targets plugin API 2; this mfm implements 1/,
  );
  assert.throws(
    () => use({ ...ok, name: "test/kind", videos: [] } as unknown as Plugin),
    /unknown field videos; plugins provide objectives, rewards, backends, contexts/,
  );
  assert.throws(() => use({ ...ok, name: "" }), /non-empty string name/);
  const bad = {
    name: "Bad-Name",
    description: "",
    kind: "consistency",
    needsTeacher: false,
    residual: () => normal(key(0), [1]),
  } as const;
  assert.throws(
    () => use({ ...ok, name: "test/badobj", objectives: [bad] }),
    /objective name "Bad-Name" must be snake_case/,
  );
  const dup = { ...bad, name: "semigroup" };
  assert.throws(
    () => use({ ...ok, name: "test/dup", objectives: [dup] }),
    /an objective named "semigroup" is already registered \(by "mfm\/objectives"\)/,
  );
  assert.throws(() =>
    use({
      ...ok,
      name: "test/dupbackend",
      backends: {
        cpu: () => {
          throw new Error();
        },
      },
    }), /a backend named "cpu" is already registered \(by "mfm\/cpu"\)/);
  const ou = ouProcessContext();
  assert.throws(
    () => use({ ...ok, name: "test/ctxname", contexts: { "My-OU": ou } }),
    /context name "My-OU" must be snake_case/,
  );
  assert.throws(
    () =>
      use({
        ...ok,
        name: "test/ctxhook",
        contexts: { half: { description: "", problem: ou.problem } } as unknown as Plugin[
          "contexts"
        ],
      }),
    /context "half" needs a problem with sample\(\) and an evaluate function/,
  );
  assert.throws(
    () => use({ ...ok, name: "test/ctxdup", contexts: { ou } }),
    /a context named "ou" is already registered \(by "mfm\/processes"\)/,
  );
  // nothing of a rejected plugin was registered
  assert.ok(!listPlugins().some((p) => p.name === "test/dup"));
  // built-ins come through the same door
  const names = listPlugins().map((p) => p.name);
  for (const n of ["mfm/cpu", "mfm/onnx", "mfm/objectives", "mfm/rewards", "mfm/processes"]) {
    assert.ok(names.includes(n), n);
  }
});

Deno.test("a plugin loaded from a module specifier works end to end: its objective trains, its reward builds", async () => {
  await loadPlugin("./examples/shortcut/mod.ts");
  assert.equal(getObjective("shortcut").kind, "consistency");
  const gmm = paperGmm();
  const r = await trainMfm(
    resolveConfig({
      consistency: "shortcut",
      steps: 40,
      batch: 128,
      lr: 3e-3,
      warmupSteps: 2,
      net: { hidden: 32, depth: 2, fourier: 4 },
      checkpointEvery: 0,
    }),
    { dim: 2, sampleData: (k, n) => gmm.sample(k, n) },
    { progress: false },
  );
  const first = r.losses.slice(0, 5).reduce((a, l) => a + l.loss, 0);
  const last = r.losses.slice(-5).reduce((a, l) => a + l.loss, 0);
  assert.ok(last < first, `loss ${first / 5} → ${last / 5}`);
  const ring = await createReward("ring", { radius: 2, sigma: 1 });
  assert.deepEqual(
    Array.from(ring.reward(normal(key(1), [3, 2]).mul(0).add(2)).dataSync(), (v) => +v.toFixed(4)),
    [
      -(((Math.sqrt(8) - 2) ** 2) / 2),
      -(((Math.sqrt(8) - 2) ** 2) / 2),
      -(((Math.sqrt(8) - 2) ** 2) / 2),
    ].map((v) => +v.toFixed(4)),
  );
  await assert.rejects(
    () => loadPlugin("./examples/shortcut/deno.json"),
    /cannot load the module|no export named "plugin"/,
  );
});
