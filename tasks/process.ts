// deno task process:train --context ou [--steps N --seed S --out DIR]
// deno task process:eval  --context ou [--checkpoint DIR --n N]
// Extended MFMs for general processes (MATH-core §8). `train` fits the context MFM and writes
// DIR/<context>.safetensors + .json; `eval` draws one-step conditional samples at several
// (observation, prediction time) settings — between, beyond and before the observation — and
// scores them against the exact Gaussian conditional. Its last line:
// `ou_mmd_ratio=<n> ou_cov90=<n>`.
import "../backends/mod.ts";
import { parseArgs } from "cli-args";
import {
  full,
  key,
  loadParams,
  mmd2,
  normal,
  saveSafetensors,
  setBackend,
  tensor,
  writeFileAtomic,
} from "../mod.ts";
import { flowMapOf, initMfmMlp, type MfmMlpConfig, mfmMlpVelocity } from "../flowmaps/mod.ts";
import { OrnsteinUhlenbeck, ouContext, ouProblem, trainContextMfm } from "../processes/mod.ts";
import { ProgressBar } from "../train/mod.ts";

const CONTEXTS = ["ou"];
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
  },
  strict: true,
}).values;
if (!CONTEXTS.includes(args.context)) {
  fail(`context "${args.context}" is not one of ${CONTEXTS.join(", ")}`);
}
const [steps, seed, n] = [args.steps, args.seed, args.n].map(Number);
if (![steps, seed, n].every((v) => Number.isInteger(v) && v >= 0) || steps < 1 || n < 100) {
  fail(`--steps ${args.steps}, --seed ${args.seed}, --n ${args.n}: integers, steps ≥ 1, n ≥ 100`);
}
setBackend("onnx");
const OU = { theta: 1, mu: 0, sigma: 1.2, dim: 1 };
const ou = new OrnsteinUhlenbeck(OU);

if (mode === "train") {
  const bar = new ProgressBar("process:train ou", steps);
  const t0 = performance.now();
  const { params, net, losses } = trainContextMfm(ouProblem(ou), {
    steps,
    batch: 512,
    seed,
    onStep: (i) => bar.update(i),
  });
  bar.done();
  await Deno.mkdir(args.out, { recursive: true });
  await saveSafetensors(`${args.out}/ou.safetensors`, params);
  const meta = { context: "ou", process: OU, net, steps, seed, finalLoss: losses.at(-1) };
  await writeFileAtomic(
    `${args.out}/ou.json`,
    new TextEncoder().encode(JSON.stringify(meta, null, 2) + "\n"),
  );
  console.log(
    `trained ${steps} steps in ${((performance.now() - t0) / 1000).toFixed(1)} s; ` +
      `wrote ${args.out}/ou.safetensors and ou.json`,
  );
} else {
  const dir = args.checkpoint;
  let meta: { net: MfmMlpConfig; process: typeof OU };
  try {
    meta = JSON.parse(await Deno.readTextFile(`${dir}/ou.json`));
  } catch {
    fail(`no checkpoint in ${dir} (run deno task process:train --context ou first)`);
  }
  const params = await loadParams(`${dir}/ou.safetensors`, initMfmMlp(key(0), meta!.net));
  const mfm = flowMapOf(mfmMlpVelocity(meta!.net, params));
  const proc = new OrnsteinUhlenbeck(meta!.process);
  // (x_obs, t_obs, τ): prediction soon after, far beyond, and before the observation
  const settings = [[1.2, 0.3, 0.5], [-0.8, 0.2, 1.9], [0.4, 1.5, 0.2], [2.0, 1.0, 1.05], [
    -1.5,
    0.5,
    1.2,
  ]];
  // the sampling floor: |MMD²| between two exact sets of the same size, averaged
  const floors = Array.from(
    { length: 8 },
    (_, r) => Math.abs(mmd2(normal(key(100 + r), [n, 1]), normal(key(200 + r), [n, 1]))),
  );
  const floor = floors.reduce((a, b) => a + b, 0) / floors.length;
  const rows: string[] = [];
  let mmdSum = 0;
  let covSum = 0;
  settings.forEach(([xo, to, tau], j) => {
    const { mean, variance } = proc.conditional([xo], tau - to);
    const sd = Math.sqrt(variance);
    const context = ouContext(
      tensor(Array.from({ length: n }, () => [xo])),
      full([n], to),
      full([n], tau),
    );
    const draws = mfm.map(
      full([n], 0),
      full([n], 1),
      normal(key(seed * 100 + j), [n, 1]),
      full([n], tau),
      context,
    );
    // standardised draws: the mean floor of MMD² is the same for every setting
    const z = draws.sub(mean[0]).div(sd);
    const m = Math.abs(mmd2(z, normal(key(300 + j), [n, 1])));
    const zs = Array.from(z.dataSync());
    const cov = (100 * zs.filter((v) => Math.abs(v) < 1.645).length) / n;
    const zm = zs.reduce((a, v) => a + v, 0) / n;
    const zv = zs.reduce((a, v) => a + (v - zm) ** 2, 0) / n;
    mmdSum += m;
    covSum += cov;
    rows.push(
      `| ${xo} | ${to} | ${tau} | ${mean[0].toFixed(3)} ± ${sd.toFixed(3)} | ${zm.toFixed(3)} | ${
        zv.toFixed(3)
      } | ${m.toExponential(2)} | ${(m / floor).toFixed(2)} | ${cov.toFixed(1)} |`,
    );
  });
  const ratio = mmdSum / settings.length / floor;
  const cov90 = covSum / settings.length;
  const report = [
    `# OU context: one-step conditional samples vs the exact Gaussian conditional`,
    ``,
    `OU θ=${proc.theta} μ=${proc.mu} σ=${proc.sigma}; ${n} draws per setting; checkpoint ${dir}.`,
    `z = (x − mean)/sd of the exact conditional; MMD² (unbiased) of z against N(0, 1) draws;`,
    `floor = mean |MMD²| of two exact sets of the same size (${floor.toExponential(2)}).`,
    ``,
    `| x_obs | t_obs | τ | exact mean ± sd | z mean | z var | MMD² | / floor | 90 % cover |`,
    `|---:|---:|---:|---:|---:|---:|---:|---:|---:|`,
    ...rows,
    ``,
    `mean MMD² / floor = ${ratio.toFixed(2)}; mean 90 % coverage = ${cov90.toFixed(1)} %`,
    ``,
  ].join("\n");
  await Deno.mkdir(args.out, { recursive: true });
  await writeFileAtomic(`${args.out}/ou_report.md`, new TextEncoder().encode(report));
  console.log(report);
  console.log(`ou_mmd_ratio=${ratio.toFixed(2)} ou_cov90=${cov90.toFixed(1)}`);
}
