// deno task process:train --context NAME [--steps N --seed S --out DIR --plugin SPEC…]
// deno task process:eval  --context NAME [--checkpoint DIR --n N --seed S --plugin SPEC…]
// Extended MFMs for general processes (MATH-core §8), for any registered context (built-in: ou;
// plugins add more). `train` fits the context MFM and writes DIR/<context>.safetensors + .json;
// `eval` scores one-step conditional samples with the context's own evaluation, writes
// DIR/<context>_report.md and prints the scores last, e.g. `ou_mmd_ratio=<n> ou_cov90=<n>`.
import "../backends/mod.ts";
import "../processes/mod.ts";
import { parseArgs } from "cli-args";
import { key, loadParams, saveSafetensors, setBackend, writeFileAtomic } from "../mod.ts";
import {
  contextModel,
  mlpContextNetwork,
  type NetworkConfig,
  trainContextMfm,
} from "../processes/mod.ts";
import { imageGridPng } from "../plots/mod.ts";
import { loadPlugin, pluginContext, registeredNames } from "../plugins/mod.ts";
import { ProgressBar } from "../train/mod.ts";

const [mode, ...rest] = Deno.args;
const fail = (msg: string): never => {
  console.error(`process:${mode ?? "?"}: ${msg}`);
  Deno.exit(2);
};
if (mode !== "train" && mode !== "eval") fail(`mode "${mode}" must be "train" or "eval"`);
const args = parseArgs({
  args: rest,
  options: {
    context: { type: "string", default: "ou" },
    steps: { type: "string", default: "12000" },
    seed: { type: "string", default: "0" },
    n: { type: "string", default: "2000" },
    out: { type: "string", default: "out/process" },
    checkpoint: { type: "string", default: "out/process" },
    plugin: { type: "string", multiple: true },
  },
  strict: true,
}).values;
for (const spec of args.plugin ?? []) await loadPlugin(spec);
if (!registeredNames("contexts").includes(args.context)) {
  fail(`context "${args.context}" is not one of ${registeredNames("contexts").join(", ")}`);
}
const name = args.context;
const ctx = pluginContext(name);
const [steps, seed, n] = [args.steps, args.seed, args.n].map(Number);
if (![steps, seed, n].every((v) => Number.isInteger(v) && v >= 0) || steps < 1 || n < 100) {
  fail(`--steps ${args.steps}, --seed ${args.seed}, --n ${args.n}: integers, steps ≥ 1, n ≥ 100`);
}
setBackend("onnx");

if (mode === "train") {
  const bar = new ProgressBar(`process:train ${name}`, steps);
  const t0 = performance.now();
  const { params, config, losses } = trainContextMfm(ctx.problem, {
    batch: 512,
    ...ctx.training,
    ...(ctx.network ? { network: ctx.network } : {}),
    steps,
    seed,
    onStep: (i) => bar.update(i),
  });
  bar.done();
  await Deno.mkdir(args.out, { recursive: true });
  await saveSafetensors(`${args.out}/${name}.safetensors`, params);
  const meta = {
    context: name,
    description: ctx.description,
    network: config,
    steerable: ctx.training?.steerable ?? false,
    steps,
    seed,
    finalLoss: losses.at(-1),
  };
  await writeFileAtomic(
    `${args.out}/${name}.json`,
    new TextEncoder().encode(JSON.stringify(meta, null, 2) + "\n"),
  );
  console.log(
    `trained ${steps} steps in ${((performance.now() - t0) / 1000).toFixed(1)} s; ` +
      `wrote ${args.out}/${name}.safetensors and ${name}.json`,
  );
} else {
  const dir = args.checkpoint;
  let meta:
    | { context: string; description: string; network: NetworkConfig; steerable?: boolean }
    | undefined;
  try {
    meta = JSON.parse(await Deno.readTextFile(`${dir}/${name}.json`));
  } catch {
    fail(`no ${name} checkpoint in ${dir} (run deno task process:train --context ${name} first)`);
  }
  if (meta!.context !== name) fail(`${dir}/${name}.json is for context "${meta!.context}"`);
  // the description records how the model's samples are encoded: a mismatch would decode wrongly
  if (meta!.description !== ctx.description) {
    fail(
      `${dir}/${name}.json was trained for "${
        meta!.description
      }", this context is "${ctx.description}"; retrain`,
    );
  }
  const network = ctx.network ??
    mlpContextNetwork({ hidden: ctx.training?.hidden, depth: ctx.training?.depth });
  // checkpoints written before network families record the MLP configuration as `net`
  const config = meta!.network ?? (meta as { net?: NetworkConfig }).net;
  if (!config) fail(`${dir}/${name}.json has no network configuration; retrain`);
  const params = await loadParams(
    `${dir}/${name}.safetensors`,
    network.init(key(0), config!),
  );
  const model = contextModel(network.velocity(config!, params), meta!.steerable ?? false);
  const t0 = performance.now();
  const { report, metrics, pictures } = ctx.evaluate(model, { n, seed });
  await Deno.mkdir(args.out, { recursive: true });
  await writeFileAtomic(`${args.out}/${name}_report.md`, new TextEncoder().encode(report));
  for (const [stem, pic] of Object.entries(pictures ?? {})) {
    await imageGridPng(`${args.out}/${stem}.png`, pic.rows, pic.options);
    console.log(`wrote ${args.out}/${stem}.png`);
  }
  console.log(`evaluated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(report);
  console.log(Object.entries(metrics).map(([k, v]) => `${k}=${+v.toFixed(2)}`).join(" "));
}
