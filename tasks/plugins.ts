// deno task plugins [--plugin <module> …] — lists every registered plugin and what it provides.
import "../backends/mod.ts";
import "../losses/mod.ts";
import "../rewards/mod.ts";
import "../processes/mod.ts";
import { parseArgs } from "cli-args";
import { listPlugins, loadPlugin } from "../plugins/mod.ts";

const args = parseArgs({
  args: Deno.args,
  options: { plugin: { type: "string", multiple: true } },
  strict: true,
}).values;
for (const spec of args.plugin ?? []) await loadPlugin(spec);
for (const p of listPlugins()) {
  console.log(
    `${p.name} (plugin API ${p.apiVersion})${p.description ? ` — ${p.description}` : ""}`,
  );
  if (p.objectives.length) console.log(`  objectives: ${p.objectives.join(", ")}`);
  if (p.rewards.length) console.log(`  rewards:    ${p.rewards.join(", ")}`);
  if (p.backends.length) console.log(`  backends:   ${p.backends.join(", ")}`);
  if (p.contexts.length) console.log(`  contexts:   ${p.contexts.join(", ")}`);
}
