// The engine demo (replaced by the MFM demo later): fit an MLP to f(x, y) = sin(πx)·cos(πy) on
// [-1, 1]² with Adam, one jitted call per training step, and print the loss going down.
import { parseArgs } from "cli-args";
import {
  adam,
  foldIn,
  getBackend,
  initMlp,
  jit,
  key,
  listBackends,
  mlp,
  type MlpParams,
  setBackend,
  sliceAxis,
  split,
  type Tensor,
  uniform,
  valueAndGrad,
} from "./mod.ts";

const OPTIONS = {
  steps: { type: "string", default: "1500" },
  seed: { type: "string", default: "0" },
  batch: { type: "string", default: "256" },
  lr: { type: "string", default: "0.003" },
  backend: { type: "string", default: "onnx" },
  help: { type: "boolean", default: false },
} as const;

function fail(msg: string): never {
  console.error(
    `demo: ${msg}\nusage: deno task demo [--steps N] [--seed N] [--batch N] [--lr X] [--backend ${
      listBackends().join("|")
    }]`,
  );
  Deno.exit(2);
}

let args;
try {
  args =
    parseArgs({ args: Deno.args, options: OPTIONS, strict: true, allowPositionals: false }).values;
} catch (e) {
  fail(
    `${(e as Error).message}; valid options: ${
      Object.keys(OPTIONS).map((o) => `--${o}`).join(", ")
    }`,
  );
}
if (args.help) fail("fits an MLP to sin(πx)cos(πy) and prints the loss");
const int = (name: string, v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) fail(`--${name} ${v} must be a non-negative integer`);
  return n;
};
const steps = int("steps", args.steps);
const seed = int("seed", args.seed);
const batch = int("batch", args.batch);
const lr = Number(args.lr);
if (!(lr > 0)) fail(`--lr ${args.lr} must be a positive number`);
try {
  setBackend(args.backend);
} catch (e) {
  fail((e as Error).message);
}

const target = (xy: Tensor) => {
  const [x, y] = [sliceAxis(xy, 1, 0, 1), sliceAxis(xy, 1, 1, 2)];
  return x.mul(Math.PI).sin().mul(y.mul(Math.PI).cos());
};

const [kInit, kTest, kData] = split(key(seed), 3);
const opt = adam({ lr, warmupSteps: 50 });
let params: MlpParams = initMlp(kInit, [2, 64, 64, 1]);
let state = opt.init(params);
const loss = (p: MlpParams, xy: Tensor) => mlp(p, xy, "silu").sub(target(xy)).square().mean();
const step = jit((p: MlpParams, s: typeof state, xy: Tensor) => {
  const { value, grad } = valueAndGrad(loss)(p, xy);
  return { loss: value, ...opt.update(grad as MlpParams, s, p) };
});
const testLoss = jit(loss);
const xTest = uniform(kTest, [2048, 2], { low: -1, high: 1 });

console.log(
  `mfm engine demo: MLP 2→64→64→1 fits sin(πx)·cos(πy), Adam lr ${lr}, batch ${batch}, backend ${getBackend().name}`,
);
console.log("step   train loss   test loss   steps/s");
const start = performance.now();
let last = start;
for (let i = 0; i <= steps; i++) {
  const xy = uniform(foldIn(kData, i), [batch, 2], { low: -1, high: 1 });
  const r = step(params, state, xy);
  params = r.params;
  state = r.state;
  if (i % Math.max(1, Math.floor(steps / 10)) === 0 || i === steps) {
    const now = performance.now();
    const rate = i === 0 ? 0 : Math.max(1, Math.floor(steps / 10)) / ((now - last) / 1000);
    last = now;
    console.log(
      `${String(i).padStart(4)}   ${r.loss.item().toFixed(5).padStart(10)}   ${
        testLoss(params, xTest).item().toFixed(5).padStart(9)
      }   ${i === 0 ? "   -" : rate.toFixed(1).padStart(7)}`,
    );
  }
}
console.log(`done in ${((performance.now() - start) / 1000).toFixed(1)} s`);
