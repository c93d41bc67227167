import assert from "assert";
import "@mfm/backends";
import { flatten } from "@mfm/tensor";
import { paperGmm } from "@mfm/datasets";
import { initMfmMlp, mfmMlpVelocity } from "@mfm/flowmaps";
import { CONFIG_KEYS, readLossHistory, resolveConfig, trainMfm } from "@mfm/train";

const gmm = paperGmm();
const problem = {
  dim: 2,
  sampleData: (k: Parameters<typeof gmm.sample>[0], n: number) => gmm.sample(k, n),
};
const tiny = {
  batch: 64,
  net: { hidden: 16, depth: 2, fourier: 4 },
  backend: "cpu",
  warmupSteps: 2,
};

Deno.test("configs: defaults, overrides, and clear rejections", () => {
  assert.equal(resolveConfig({}).consistency, "semigroup");
  assert.equal(resolveConfig({ steps: 7 }).steps, 7);
  assert.throws(
    () => resolveConfig({ stepz: 7 }),
    /unknown option stepz; valid options: seed, steps, batch/,
  );
  assert.throws(() => resolveConfig({ lr: -1 }), /lr -1 must be a non-negative number/);
  assert.throws(() => resolveConfig({ batch: 2.5 }), /batch 2.5 must be a non-negative integer/);
  assert.throws(() => resolveConfig({ optimizer: "sgd" }), /optimizer "sgd" must be adam or radam/);
  assert.throws(() => resolveConfig({ net: { width: 3 } }), /unknown net option width/);
  assert.ok(CONFIG_KEYS.includes("consistencyWeight"));
  assert.throws(
    () => resolveConfig({ lrDecay: "step" }),
    /lrDecay "step" must be one of none, linear/,
  );
  assert.throws(
    () => resolveConfig({ steps: 100, lrDecay: "cosine", lrDecayStart: 100 }),
    /the decay ends at step 100 \(lrDecayEnd, 0 = steps\), not after its start lrDecayStart 100/,
  );
  assert.throws(
    () => resolveConfig({ lrDecay: "linear", lrFinal: 0.5 }),
    /lrFinal 0.5 must be at most lr 0.001/,
  );
});

Deno.test("the learning-rate decay reaches the optimiser: at lrFinal 0 the parameters stop", async () => {
  const params = async (steps: number, decay: Record<string, unknown>) => {
    const cfg = resolveConfig({ ...tiny, steps, checkpointEvery: 0, ...decay });
    const r = await trainMfm(cfg, problem, { progress: false });
    return flatten(r.state.params).leaves.map((t) => Array.from(t.dataSync()));
  };
  const linear = { lrDecay: "linear", lrDecayStart: 2, lrDecayEnd: 4 };
  // steps 5 and 6 run at lr 0 (the decay ended at step 4), so they leave the parameters as they are
  assert.deepEqual(await params(6, linear), await params(4, linear));
  // without the decay they move on (the control: the two runs differ)
  assert.notDeepEqual(await params(6, {}), await params(4, {}));
});

Deno.test("training is deterministic given the seed, and resuming from a checkpoint continues the same run", async () => {
  const dir = await Deno.makeTempDir();
  const straight = await trainMfm(
    resolveConfig({ ...tiny, steps: 12, checkpointEvery: 0 }),
    problem,
    { progress: false },
  );
  const again = await trainMfm(resolveConfig({ ...tiny, steps: 12, checkpointEvery: 0 }), problem, {
    progress: false,
  });
  const bits = (r: typeof straight) => flatten(r.state).leaves.map((t) => Array.from(t.dataSync()));
  assert.deepEqual(bits(again), bits(straight), "same seed, same numbers");
  await trainMfm(resolveConfig({ ...tiny, steps: 6, checkpointEvery: 0 }), problem, {
    outDir: dir,
    progress: false,
  });
  const resumed = await trainMfm(
    resolveConfig({ ...tiny, steps: 12, checkpointEvery: 0 }),
    problem,
    { outDir: dir, resume: true, progress: false },
  );
  assert.deepEqual(bits(resumed), bits(straight), "6 steps + resume to 12 = 12 steps");
  assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/config.json`)).step, 12);
  await assert.rejects(
    () =>
      trainMfm(resolveConfig({ ...tiny, steps: 1, diagonal: "diagonal_teacher" }), problem, {
        progress: false,
      }),
    /objective "diagonal_teacher" needs a teacher drift/,
  );
  await assert.rejects(
    () =>
      trainMfm(resolveConfig({ ...tiny, steps: 1, consistency: "shortcut" }), problem, {
        progress: false,
      }),
    /unknown objective "shortcut": registered objectives are diagonal, diagonal_teacher, semigroup/,
  );
});

Deno.test("any network through `model`; the consistency term on a fraction of the batch", async () => {
  const cfg = resolveConfig({ ...tiny, steps: 6, checkpointEvery: 0 });
  const plain = await trainMfm(cfg, problem, { progress: false });
  // the MLP passed through the model door is the same run, number for number
  const net = plain.net;
  const door = await trainMfm(cfg, problem, {
    progress: false,
    model: { init: (k) => initMfmMlp(k, net), velocity: (p) => mfmMlpVelocity(net, p) },
  });
  const a = flatten(plain.state.ema).leaves.map((t) => Array.from(t.dataSync()));
  const b = flatten(door.state.ema).leaves.map((t) => Array.from(t.dataSync()));
  assert.deepEqual(b, a);
  // a quarter of the batch for the consistency term: a different run that still learns
  const quarter = await trainMfm(
    resolveConfig({ ...tiny, steps: 60, consistencyFraction: 0.25, checkpointEvery: 0 }),
    problem,
    { progress: false },
  );
  const first = quarter.losses[0].loss;
  const last = quarter.losses.at(-1)!.loss;
  assert.ok(last < first, `loss ${first} → ${last}`);
  assert.throws(
    () => resolveConfig({ consistencyFraction: 0 }),
    /consistencyFraction 0 must be in/,
  );
});

Deno.test("the loss history is appended to losses.jsonl and survives a resume", async () => {
  const dir = await Deno.makeTempDir();
  const cfg = { ...tiny, steps: 200, checkpointEvery: 100 };
  await trainMfm(resolveConfig({ ...cfg, steps: 100 }), problem, { outDir: dir, progress: false });
  const resumed = await trainMfm(resolveConfig(cfg), problem, {
    outDir: dir,
    resume: true,
    progress: false,
  });
  const history = await readLossHistory(dir);
  // the first run logs every step (100 steps), the second every other step (200 steps)
  const steps = [
    ...Array.from({ length: 100 }, (_, i) => i + 1),
    ...Array.from({ length: 50 }, (_, i) => 102 + 2 * i),
  ];
  assert.deepEqual(history.map((r) => r.step), steps);
  assert.deepEqual(history.slice(-resumed.losses.length), resumed.losses);
  assert.equal((await readLossHistory(dir, 50)).length, 50);
  assert.deepEqual(await readLossHistory(`${dir}/none`), []);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("onCheckpoint sees every checkpoint's state and step", async () => {
  const dir = await Deno.makeTempDir();
  const seen: { step: number; ema: Float32Array }[] = [];
  const result = await trainMfm(
    resolveConfig({ ...tiny, steps: 30, checkpointEvery: 10 }),
    problem,
    {
      outDir: dir,
      progress: false,
      onCheckpoint: (state, step) => {
        seen.push({ step, ema: Float32Array.from(flatten(state.ema).leaves[0].dataSync()) });
      },
    },
  );
  assert.deepEqual(seen.map((s) => s.step), [10, 20, 30]);
  // the last call holds the returned state; earlier ones an earlier EMA
  const last = flatten(result.state.ema).leaves[0].dataSync();
  assert.deepEqual(Array.from(seen[2].ema), Array.from(last));
  assert.notDeepEqual(Array.from(seen[0].ema), Array.from(last));
  await Deno.remove(dir, { recursive: true });
});
