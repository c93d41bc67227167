// deno task train [--config file.json] [--out dir] [--resume] [--<option> value …]
// Trains an MFM on the paper's 2-D GMM. Options come from the config file, then the flags;
// unknown or invalid options are rejected with the list of valid ones.
import "../backends/mod.ts";
import { parseArgs } from "cli-args";
import { paperGmm } from "../datasets/mod.ts";
import { linearInterpolant } from "../interpolants/mod.ts";
import type { Tensor } from "../tensor/mod.ts";
import { CONFIG_KEYS, DEFAULT_CONFIG, resolveConfig, trainMfm } from "../train/mod.ts";
import { loadPlugin } from "../plugins/mod.ts";

const FLAG_KEYS = CONFIG_KEYS.filter((k) => k !== "net");
const options: Record<string, { type: "string" | "boolean"; multiple?: boolean }> = {
  config: { type: "string" },
  out: { type: "string" },
  resume: { type: "boolean" },
  plugin: { type: "string", multiple: true },
  help: { type: "boolean" },
};
for (const k of [...FLAG_KEYS, "hidden", "depth", "fourier"]) options[k] = { type: "string" };

function fail(msg: string): never {
  console.error(`train: ${msg}`);
  Deno.exit(2);
}

let parsed;
try {
  parsed = parseArgs({ args: Deno.args, options, strict: true, allowPositionals: false })
    .values as Record<string, string | boolean>;
} catch (e) {
  fail(
    `${(e as Error).message}; valid flags: ${Object.keys(options).map((k) => `--${k}`).join(", ")}`,
  );
}
if (parsed.help) {
  console.log(
    `usage: deno task train [--config file.json] [--out dir] [--resume] [--<option> value]\noptions: ${
      Object.keys(options).join(", ")
    }`,
  );
  Deno.exit(0);
}
let fileConfig: Record<string, unknown> = {};
if (typeof parsed.config === "string") {
  try {
    fileConfig = JSON.parse(await Deno.readTextFile(parsed.config));
  } catch (e) {
    fail(`cannot read config ${parsed.config}: ${(e as Error).message}`);
  }
}
const overrides: Record<string, unknown> = {};
const net: Record<string, unknown> = { ...(fileConfig.net as object ?? {}) };
for (const [k, v] of Object.entries(parsed)) {
  if (["config", "out", "resume", "help", "plugin"].includes(k) || typeof v !== "string") continue;
  const value = Number.isFinite(Number(v)) && v.trim() !== "" ? Number(v) : v;
  if (["hidden", "depth", "fourier"].includes(k)) net[k] = value;
  else overrides[k] = value;
}
for (const spec of (parsed.plugin as unknown as string[] | undefined) ?? []) {
  try {
    await loadPlugin(spec);
  } catch (e) {
    fail((e as Error).message);
  }
}
let config;
try {
  config = resolveConfig({ ...fileConfig, ...overrides, net: { ...DEFAULT_CONFIG.net, ...net } });
} catch (e) {
  fail((e as Error).message);
}
const out = typeof parsed.out === "string" ? parsed.out : "out/train";
const gmm = paperGmm();
const result = await trainMfm(config, {
  dim: 2,
  sampleData: (k, n) => gmm.sample(k, n),
  teacher: (x: Tensor, tau: Tensor) => gmm.drift(linearInterpolant, tau, x),
}, { outDir: out, resume: parsed.resume === true });
const last = result.losses.at(-1);
console.log(
  `trained ${result.step} steps at ${result.stepsPerSecond.toFixed(1)} steps/s; final loss ${
    last?.loss.toFixed(4)
  } ` +
    `(diagonal ${last?.diagonal.toFixed(4)}, consistency ${
      last?.consistency.toFixed(4)
    }); checkpoint in ${out}/`,
);
