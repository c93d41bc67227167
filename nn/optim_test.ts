import assert from "assert";
import "@mfm/backends/cpu";
import { assertAllClose, jit, type Tensor, tensor } from "@mfm/tensor";
import {
  adam,
  type AdamOptions,
  adamw,
  clipGradNorm,
  emaUpdate,
  learningRate,
  type Optimizer,
  radam,
} from "@mfm/nn";

/** Scalar reference of the Adam family, written from the papers' update rules. */
function reference(
  kind: "adam" | "adamw" | "radam",
  o: Required<Omit<AdamOptions, "decay" | "decayStart" | "decayEnd" | "lrFinal">>,
  p0: number,
  grads: number[],
  rate: (t: number) => number = (t) =>
    o.warmupSteps > 0 ? o.lr * Math.min(1, t / o.warmupSteps) : o.lr,
): number[] {
  let p = p0, m = 0, v = 0;
  const out: number[] = [];
  grads.forEach((g0, i) => {
    const t = i + 1;
    const lr = rate(t);
    let g = g0;
    if (kind === "adamw") p -= lr * o.weightDecay * p;
    else g += o.weightDecay * p;
    m = o.beta1 * m + (1 - o.beta1) * g;
    v = o.beta2 * v + (1 - o.beta2) * g * g;
    const mHat = m / (1 - o.beta1 ** t);
    if (kind === "radam") {
      const rhoInf = 2 / (1 - o.beta2) - 1;
      const rho = rhoInf - (2 * t * o.beta2 ** t) / (1 - o.beta2 ** t);
      if (rho > 5) {
        const r = Math.sqrt(((rho - 4) * (rho - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rho));
        p -= lr * mHat * r * Math.sqrt(1 - o.beta2 ** t) / (Math.sqrt(v) + o.eps);
      } else p -= lr * mHat;
    } else {
      p -= lr * mHat / (Math.sqrt(v / (1 - o.beta2 ** t)) + o.eps);
    }
    out.push(p);
  });
  return out;
}

function run(opt: Optimizer, p0: number, grads: number[]): number[] {
  let params = { w: tensor([p0], { dtype: "float64" }) };
  let state = opt.init(params);
  const step = jit((g: typeof params, s: typeof state, p: typeof params) => opt.update(g, s, p));
  return grads.map((g) => {
    ({ params, state } = step({ w: tensor([g], { dtype: "float64" }) }, state, params));
    return params.w.item();
  });
}

const GRADS = [0.5, -1.2, 0.3, 2.0, -0.7, 0.1, 0.9, -0.4, 1.5, -2.2];

Deno.test("Adam: the first step moves by lr·sign(g); later steps match the update rule", () => {
  const opts = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, warmupSteps: 0 };
  const got = run(adam(opts), 1, GRADS);
  // step 1 by hand: m̂ = g, v̂ = g², so p = 1 − 0.1·0.5/(0.5 + 1e-8)
  assertAllClose(got[0], 1 - 0.1 * 0.5 / (0.5 + 1e-8), { rtol: 1e-7 });
  assertAllClose(got, reference("adam", opts, 1, GRADS), { rtol: 1e-7 });
  const wd = { ...opts, weightDecay: 0.1, warmupSteps: 4 };
  assertAllClose(run(adam(wd), 1, GRADS), reference("adam", wd, 1, GRADS), { rtol: 1e-7 });
  assertAllClose(run(adamw(wd), 1, GRADS), reference("adamw", wd, 1, GRADS), { rtol: 1e-7 });
});

Deno.test("RAdam: momentum SGD while ρ_t ≤ 5, rectified after, with warm-up", () => {
  const opts = { lr: 0.05, beta1: 0.9, beta2: 0.9, eps: 1e-8, weightDecay: 0, warmupSteps: 3 };
  const got = run(radam(opts), 1, GRADS);
  // step 1 by hand: ρ_1 = 1 ≤ 5, so p = 1 − lr·(1/3)·m̂ with m̂ = g = 0.5
  assertAllClose(got[0], 1 - 0.05 / 3 * 0.5, { rtol: 1e-10 });
  assertAllClose(got, reference("radam", opts, 1, GRADS), { rtol: 1e-7 });
});

Deno.test("learning-rate decay: closed forms, and the jitted update follows them", () => {
  const cosine = {
    lr: 1e-3,
    decay: "cosine" as const,
    decayStart: 10,
    decayEnd: 30,
    lrFinal: 1e-4,
  };
  // half a cosine: lr at the start, the midpoint halfway, cos(3π/4) = −√½ at three quarters,
  // lrFinal after the end
  assertAllClose(learningRate(cosine, 10), 1e-3, { rtol: 1e-12 });
  assertAllClose(learningRate(cosine, 20), 5.5e-4, { rtol: 1e-12 });
  assertAllClose(learningRate(cosine, 25), 1e-4 + 9e-4 * 0.5 * (1 - Math.SQRT1_2), { rtol: 1e-12 });
  assertAllClose(learningRate(cosine, 99), 1e-4, { rtol: 1e-12 });
  const linear = { lr: 0.2, decay: "linear" as const, decayEnd: 8, warmupSteps: 4 };
  // warm-up to step 4 (decayStart defaults to it), then a straight line to 0 at step 8
  assert.deepEqual([1, 2, 4, 6, 8, 9].map((t) => learningRate(linear, t)), [
    0.05,
    0.1,
    0.2,
    0.1,
    0,
    0,
  ]);
  const o = { lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0, warmupSteps: 2 };
  const sched = { ...o, decay: "cosine" as const, decayStart: 3, decayEnd: 9, lrFinal: 0.01 };
  const byHand = (t: number) => {
    const p = Math.min(1, Math.max(0, (t - 3) / 6));
    return Math.min(1, t / 2) * (0.01 + 0.09 * 0.5 * (1 + Math.cos(Math.PI * p)));
  };
  assertAllClose(run(adam(sched), 1, GRADS), reference("adam", o, 1, GRADS, byHand), {
    rtol: 1e-7,
  });
  const lin = { ...o, decay: "linear" as const, decayEnd: 7 };
  assertAllClose(
    run(radam(lin), 1, GRADS),
    reference(
      "radam",
      o,
      1,
      GRADS,
      (t) => Math.min(1, t / 2) * 0.1 * (1 - Math.min(1, Math.max(0, (t - 2) / 5))),
    ),
    { rtol: 1e-7 },
  );
});

Deno.test("optimiser options are validated", () => {
  assert.throws(() => adam({ lr: 1e-3, decay: "cosine" }), /decay "cosine" needs decayEnd/);
  assert.throws(
    () => adam({ lr: 1e-3, decay: "step" as "linear", decayEnd: 5 }),
    /decay "step" must be one of none, linear, cosine/,
  );
  assert.throws(
    () => adam({ lr: 1e-3, decay: "linear", decayStart: 5, decayEnd: 5 }),
    /decayEnd 5 must be a finite number in \(5, Infinity\]/,
  );
  assert.throws(
    () => adam({ lr: 1e-3, decay: "linear", decayEnd: 5, lrFinal: 0.1 }),
    /lrFinal 0.1 must be a finite number in \[0, 0.001\]/,
  );
  assert.throws(
    () => adam({ lr: 1e-3, betas: [0.9] } as unknown as AdamOptions),
    /unknown option "betas"; valid options: lr, beta1/,
  );
  assert.throws(() => radam({ lr: -1 }), /lr -1 must be a finite number in \[0, Infinity\]/);
  assert.throws(() => adam({ lr: 1e-3, beta2: 1 }), /beta2 1 must be/);
});

Deno.test("EMA follows ema ← d·ema + (1 − d)·θ", () => {
  let ema = { w: tensor([0, 10], { dtype: "float64" }) };
  const params = { w: tensor([1, 2], { dtype: "float64" }) };
  for (let i = 0; i < 5; i++) ema = emaUpdate(ema, params, 0.9);
  const d = 0.9 ** 5;
  assertAllClose(ema.w, [d * 0 + (1 - d) * 1, d * 10 + (1 - d) * 2], { rtol: 1e-12 });
  assert.throws(() => emaUpdate(ema, params, 1.5), /decay 1.5/);
});

Deno.test("clipGradNorm scales to the max norm only when above it", () => {
  const g = { a: tensor([3]), b: tensor([4]) };
  const { grads, norm } = clipGradNorm(g, 1);
  assertAllClose(norm, [5], { rtol: 1e-7 });
  assertAllClose((grads.a as Tensor).item(), 0.6, { rtol: 1e-5 });
  assertAllClose((clipGradNorm(g, 10).grads.b as Tensor).item(), 4, { rtol: 1e-6 });
});
