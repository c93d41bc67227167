// deno task mnist:steer — the class-mixture steering table (MATH-reward §10.2): MFM-G and MFM-GF
//   over N, DPS, TDS and Best-of-N on the committed UNet MFM, with the committed classifier read
//   back through the ONNX importer as the reward; writes steer_report.md and steering.png.
import "../backends/mod.ts";
import { parseArgs } from "cli-args";
import {
  bestOfN,
  dpsEstimator,
  foldIn,
  imageGridPng,
  key,
  linearInterpolant,
  loadMnistSync,
  mfmDraws,
  mfmG,
  mfmGF,
  setBackend,
  steeredOde,
  type SteeredResult,
  steeredSde,
  tds,
  type ValueGradEstimator,
  writeFileAtomic,
} from "../mod.ts";
import { onnxReward } from "../rewards/mod.ts";
import {
  loadClassifier,
  loadMnistMfm,
  MNIST_CHECKPOINT_DIR,
} from "../experiments/mnist/checkpoint.ts";
import {
  classify,
  pmfFloor,
  pmfL2,
  pmfL2Debiased,
  pmfL2Spread,
  realImages,
  tiltedPmf,
} from "../experiments/mnist/evaluate.ts";

const fail = (msg: string): never => {
  console.error(`mnist:steer: ${msg}`);
  Deno.exit(2);
};
// many big compiled graphs (one per estimator and N): without ORT's arena each returns its
// memory after a run instead of keeping its peak (with it, the table ran out of 24 GB)
setBackend("onnx-noarena");
const args = parseArgs({
  args: Deno.args,
  options: {
    checkpoint: { type: "string", default: MNIST_CHECKPOINT_DIR },
    particles: { type: "string", default: "384" },
    steps: { type: "string", default: "32" },
    ns: { type: "string", default: "1,2,4,8,16,32" },
    chunk: { type: "string", default: "32" },
    reference: { type: "string", default: "8192" },
    inner: { type: "string", default: "1" },
    // MFM-GF / MFM-G at the largest N on the SDE too (≈ 30 % more time)
    "mfm-sde": { type: "string", default: "false" },
    // a subset of rows, by method ("DPS") or method and sampler ("DPS SDE"); each row keeps the
    // key it has in the full table, so a subset with the same options reproduces those rows
    // (--inner changes the MFM rows' chunking, and so their draws)
    rows: { type: "string", default: "" },
    seed: { type: "string", default: "0" },
    out: { type: "string", default: "out/mnist" },
  },
  strict: true,
}).values;
const [P, K, chunk, seed, inner, R] = [
  args.particles,
  args.steps,
  args.chunk,
  args.seed,
  args.inner,
  args.reference,
].map(Number);
if (!Number.isInteger(inner) || inner < 1) {
  fail(`--inner ${args.inner} must be a positive integer`);
}
const Ns: number[] = args.ns.split(",").map(Number);
if (!["true", "false"].includes(args["mfm-sde"])) {
  fail(`--mfm-sde ${args["mfm-sde"]} must be true or false`);
}
const mfmSde = args["mfm-sde"] === "true";
if (
  ![P, K, chunk, seed, R, ...Ns].every((v) => Number.isInteger(v) && v >= 0) || P < 16 || K < 1 ||
  chunk < 1 || Ns.some((v: number) => v < 1)
) {
  fail(
    `--particles ${args.particles} (≥ 16), --steps ${args.steps}, --chunk ${args.chunk}, ` +
      `--ns ${args.ns} must be positive integers, --reference ${args.reference} a count (0: none)`,
  );
}
const nTop = Ns.at(-1)!;
const allRows = [
  "base MFM ODE",
  ...Ns.flatMap((n) => [`MFM-GF(${n}) ODE`, `MFM-G(${n}) ODE`]),
  ...(mfmSde ? [`MFM-GF(${nTop}) SDE`, `MFM-G(${nTop}) SDE`] : []),
  "DPS ODE",
  "DPS SDE",
  "TDS SDE+SMC",
  "Best-of-16 4-step",
];
const only = args.rows === "" ? undefined : (args.rows.split(",") as string[]).map((r) => r.trim());
for (const r of only ?? []) {
  if (!allRows.some((row) => row === r || row.startsWith(`${r} `))) {
    fail(`--rows: "${r}" is not a row of this table (${allRows.join(", ")}), nor a method of one`);
  }
}
const selected = (method: string, sampler: string) =>
  !only || only.some((r) => r === method || r === `${method} ${sampler}`);
const { mfm } = await loadMnistMfm(args.checkpoint).catch((e) =>
  fail(`cannot load the MFM from ${args.checkpoint}: ${(e as Error).message}`)
);
const clf = await loadClassifier();
const TARGET = [0, 0.1, 0, 0.1, 0, 0.2, 0, 0.2, 0, 0.4];
// the reward reads the exported classifier back through the ONNX importer: differentiable
const reward = await onnxReward(`${MNIST_CHECKPOINT_DIR}/classifier.onnx`, {
  classWeights: TARGET,
});
const p = linearInterpolant;
// the same tilt of the real test images: what exact steering of a perfect model of MNIST would
// reach, w reweighted by MNIST's own class frequencies (p ∝ w_c p(c), MATH-reward §10.2)
const test = loadMnistSync("test");
const dataTilt = tiltedPmf(classify(clf, realImages(test, test.count)), TARGET);
const dataTiltPmf = dataTilt.pmf.map((v) => v.toFixed(3)).join(" ");
console.log(
  `tilt of the ${test.count} test images: PMF ${dataTiltPmf}, L2 ${
    pmfL2(dataTilt.pmf, TARGET).toFixed(3)
  } from w`,
);
interface Row {
  method: string;
  sampler: string;
  l2: number;
  /** L2 of the law behind the samples: the sampling noise of P draws taken out */
  l2Law: number;
  /** its spread over a parametric bootstrap of P draws (an error bar) */
  l2LawSd: number;
  pmf: number[];
  l2Tilt: number;
  nfe: number;
  seconds: number;
  samples: Float32Array;
}
const rows: Row[] = [];
const floor = pmfFloor(TARGET, P);
await Deno.mkdir(args.out, { recursive: true });
const f = (v: number, d = 3) => v.toFixed(d);
// the report is rewritten (atomically) after every row, so a stopped run keeps what it measured
const writeReport = (done: boolean) =>
  writeFileAtomic(`${args.out}/steer_report.md`, new TextEncoder().encode(reportText(done)));
const reportText = (done: boolean) =>
  `# Steering the MNIST MFM toward a mixture of classes (MATH-reward §10.2)

Reward r(x) = log Σ_c w_c p(c | x), w = (${TARGET.join(", ")}), from the committed classifier
read back from classifier.onnx by the ONNX importer (so every gradient flows through an imported
graph). ${P} particles per row, ${K} steps (ODE from t = 0 by the MFM's flow segments
X_{t,t+h}(x; 0, x₀) plus h·(g²/2)∇V̂; SDE from t = 0.01 by Euler–Maruyama), ζ = 1. The base
drift's t = 0 context x₀ is an N(0, I) draw per particle, held along its path and independent of
its state, as the ungated MFM was trained (DPS's denoiser and TDS too).
Metric: L2 distance between the class PMF of the samples (by the same classifier) and w; the
sampling floor — the expected L2 of ${P} exact draws — is ${f(floor)}. "L2 of the law" takes that
noise out (√(L2² − Σ_c p̂_c(1 − p̂_c)/(P − 1)), an unbiased estimate of the squared distance of the
method's law from w, what the paper's 4096-sample metric approximates), ± one standard deviation
of that estimate for ${P} draws (parametric bootstrap, 200 resamples). MFM posterior draws: ${
    inner === 1 ? "one step" : `${inner} jumps`
  }.
NFE per sample: MFM-GF K + ${inner + 1}NK, MFM-G K + ${2 * (inner + 1)}NK, DPS 5K, Best-of-N N(K+1).
${
    tilt
      ? `
What exact steering of this MFM reaches is not w itself but the tilt of the base ODE's own law,
p_base(x)·Σ_c w_c p(c | x): the base sampler's class imbalance carries over. Its class PMF, by
self-normalised weights e^{r} on ${R} base ODE draws (ESS ${f(tilt.ess, 0)}, so its own error is
≈ ${f(pmfFloor(tilt.pmf, tilt.ess))}), is
${tilt.pmf.map((v) => f(v, 3)).join(" ")}: **L2 ${f(pmfL2(tilt.pmf, TARGET))} from w** (${
        f(pmfL2Debiased(tilt.pmf, TARGET, tilt.ess))
      } with the noise of ESS draws taken out). The column
"L2 to tilt" measures each row against it (sampling floor ${f(pmfFloor(tilt.pmf, P))}), which
separates the estimator's error from the base model's.
`
      : ""
  }
Even a perfect model of MNIST would not reach w: the classes are not balanced (p ∝ w_c p(c)).
The same tilt of the ${test.count} real test images is
${dataTiltPmf}: L2 ${f(pmfL2(dataTilt.pmf, TARGET))} from w.

| method | sampler | class-PMF L2 | L2 of the law | L2 to tilt | PMF (0–9) | NFE | seconds |
|---|---|---:|---:|---:|---|---:|---:|
${
    rows.map((r) =>
      `| ${r.method} | ${r.sampler} | ${f(r.l2)} | ${f(r.l2Law)} ± ${f(r.l2LawSd)} | ${
        tilt ? f(r.l2Tilt) : "—"
      } | ${r.pmf.map((v) => f(v, 2)).join(" ")} | ${r.nfe} | ${f(r.seconds, 1)} |`
    ).join("\n")
  }
${
    done
      ? "\n![steered samples](steering.png)\n"
      : `\n(partial: ${rows.length} rows so far; the table is rewritten after every row)\n`
  }`;
let counter = 0;
// `count` samples of `draw`, `size` per call, each call keyed by its offset from `base`
const drawAll = (
  draw: (k: ReturnType<typeof key>, n: number) => SteeredResult,
  count: number,
  size: number,
  base: ReturnType<typeof key>,
) => {
  const samples = new Float32Array(count * 784);
  let nfe = 0;
  let seconds = 0;
  for (let i = 0; i < count; i += size) {
    const r = draw(foldIn(base, i), Math.min(size, count - i));
    samples.set(r.samples.dataSync(), i * 784);
    nfe = r.nfe;
    seconds += r.seconds;
  }
  return { samples, nfe, seconds };
};
// a method's samples for all P particles, `size` per call of `draw`
const run = async (
  method: string,
  sampler: string,
  draw: (k: ReturnType<typeof key>, n: number) => SteeredResult,
  size = chunk,
) => {
  const k = key(seed * 1000 + counter++); // taken by skipped rows too: keys follow the full table
  if (!selected(method, sampler)) return;
  const { samples, nfe, seconds } = drawAll(draw, P, size, k);
  const { pmf } = classify(clf, samples);
  const l2Tilt = tilt ? pmfL2(pmf, tilt.pmf) : NaN;
  const l2Law = pmfL2Debiased(pmf, TARGET, P);
  const l2LawSd = pmfL2Spread(pmf, TARGET, P, foldIn(key(seed * 1000 + 998), rows.length));
  const row = {
    method,
    sampler,
    l2: pmfL2(pmf, TARGET),
    l2Law,
    l2LawSd,
    l2Tilt,
    pmf,
    nfe,
    seconds,
    samples,
  };
  rows.push(row);
  console.log(
    `${method.padEnd(12)} ${sampler.padEnd(8)} L2 ${row.l2.toFixed(3)} (law ${
      row.l2Law.toFixed(3)
    } ± ${row.l2LawSd.toFixed(3)}${tilt ? `, tilt ${row.l2Tilt.toFixed(3)}` : ""})  PMF ${
      pmf.map((v) => v.toFixed(2)).join(" ")
    }  NFE ${nfe}  ${seconds.toFixed(1)} s`,
  );
  await writeReport(false);
};
// one compiled step per method; `chunk` particles per call (MFM-G holds N draws per particle
// for its backward pass), so memory stays bounded and nothing recompiles per chunk
const ode =
  (estimator: ValueGradEstimator | undefined, c: number) =>
  (k: ReturnType<typeof key>, n: number) =>
    steeredOde(
      {
        mfm,
        interpolant: p,
        steps: K,
        transport: "segment",
        chunk: c,
        ...(estimator ? { estimator } : {}),
      },
      k,
      n,
      784,
    );
const sde = (estimator: ValueGradEstimator, c: number) => (k: ReturnType<typeof key>, n: number) =>
  steeredSde({ mfm, interpolant: p, steps: K, chunk: c, estimator }, k, n, 784);
const perCall = (n: number) => Math.max(1, Math.floor((chunk * 8) / n)); // ≈ 8·chunk draws
// the reference: the base ODE's draws reweighted by e^r (separate keys from every row's)
let tilt: { pmf: number[]; ess: number } | undefined;
if (R > 0) {
  const ref = drawAll(ode(undefined, 128), R, 128, key(seed * 1000 + 999)).samples;
  tilt = tiltedPmf(classify(clf, ref), TARGET);
  console.log(
    `tilt of the base ODE (${R} draws, ESS ${tilt.ess.toFixed(0)}): PMF ${
      tilt.pmf.map((v) => v.toFixed(3)).join(" ")
    }, L2 ${pmfL2(tilt.pmf, TARGET).toFixed(3)} from w`,
  );
}
await run("base MFM", "ODE", ode(undefined, 128), P);
for (const n of Ns) {
  const gf = mfmGF(mfmDraws(mfm, inner), reward, { n, interpolant: p });
  await run(`MFM-GF(${n})`, "ODE", ode(gf, perCall(n * inner)), P);
  await run(
    `MFM-G(${n})`,
    "ODE",
    ode(mfmG(mfmDraws(mfm, inner), reward, { n, interpolant: p }), perCall(n * inner)),
    P,
  );
}
// the largest N on the SDE too: like for like with DPS on the SDE
for (
  const [name, est] of mfmSde
    ? [
      ["MFM-GF", mfmGF(mfmDraws(mfm, inner), reward, { n: nTop, interpolant: p })],
      ["MFM-G", mfmG(mfmDraws(mfm, inner), reward, { n: nTop, interpolant: p })],
    ] as const
    : []
) await run(`${name}(${nTop})`, "SDE", sde(est, perCall(nTop * inner)), P);
const dps = dpsEstimator(mfm, reward, p);
await run("DPS", "ODE", ode(dps, 64), P);
await run("DPS", "SDE", sde(dps, 64), P);
// TDS resamples within its population: populations of 64 particles, as in the paper's P = 64
await run("TDS", "SDE+SMC", (k, n) => tds(mfm, p, dps, { steps: K }, k, n, 784), 64);
await run(
  "Best-of-16",
  "4-step",
  (k, n) => bestOfN(mfm, p, reward, { n: 16, steps: 4 }, k, n, 784),
  64,
);
const show = [
  "base MFM",
  `MFM-G(${nTop})`,
  `MFM-GF(${nTop})`,
  "DPS",
  "TDS",
  "Best-of-16",
];
const picked = show.map((m) => rows.find((r) => r.method === m)!).filter(Boolean);
// a --rows subset without any of those: its own first rows
const shown = picked.length > 0 ? picked : rows.slice(0, show.length);
await imageGridPng(
  `${args.out}/steering.png`,
  shown.map((r) =>
    Array.from({ length: 16 }, (_, i) => Array.from(r.samples.subarray(i * 784, (i + 1) * 784)))
  ),
  { height: 28, width: 28, scale: 2, rowLabels: shown.map((r) => `${r.method} ${r.sampler}`) },
);
await writeReport(true);
console.log(`report: ${args.out}/steer_report.md`);
// one column of one row for the last line; NaN for a row this run skipped
const column = (field: "l2" | "l2Law" | "l2Tilt") => (m: string, s = "ODE") =>
  rows.find((r) => r.method === m && r.sampler === s)?.[field] ?? NaN;
const [get, getLaw, getTilt] = [column("l2"), column("l2Law"), column("l2Tilt")];
console.log(
  `mfmg${nTop}_l2=${f(get(`MFM-G(${nTop})`))} mfmgf${nTop}_l2=${f(get(`MFM-GF(${nTop})`))} dps_l2=${
    f(get("DPS", "ODE"))
  }${mfmSde ? ` mfmg${nTop}_sde_l2=${f(get(`MFM-G(${nTop})`, "SDE"))}` : ""} dps_sde_l2=${
    f(get("DPS", "SDE"))
  } mfmg${nTop}_law_l2=${f(getLaw(`MFM-G(${nTop})`))} dps_law_l2=${
    f(getLaw("DPS"))
  } dps_sde_law_l2=${f(getLaw("DPS", "SDE"))}${
    tilt
      ? ` tilt_l2=${f(pmfL2(tilt.pmf, TARGET))} mfmg${nTop}_to_tilt=${
        f(getTilt(`MFM-G(${nTop})`))
      } ` +
        `dps_to_tilt=${f(getTilt("DPS"))}`
      : ""
  } data_tilt_l2=${f(pmfL2(dataTilt.pmf, TARGET))}`,
);
