// deno task bench:conv — how conv's cotangents are lowered to ONNX, side by side: the input
// cotangent as ConvTranspose (the default) or as zero-interleaving + Conv (`convTranspose: false`);
// the kernel cotangent as window slices + one Gemm (the default) or as ONNX Conv
// (`convWindows: false`). On the two conv-heavy gradients of the MNIST experiment: ∇r of the
// classifier reward (the inner loop of MFM-G and DPS steering) and the UNet MFM's parameter
// gradient (a training step's backward).
import "../backends/mod.ts";
import { OnnxBackend } from "../backends/onnx/mod.ts";
import {
  flatten,
  grad,
  jit,
  key,
  type MfmUNetParams,
  mfmUNetVelocity,
  normal,
  registerBackend,
  setBackend,
  type Tensor,
  type Tree,
  uniform,
} from "../mod.ts";
import { onnxReward } from "../rewards/mod.ts";
import { loadMnistMfm, MNIST_CHECKPOINT_DIR } from "../experiments/mnist/checkpoint.ts";

const REPS = Number(Deno.args[0] ?? 10);
registerBackend(
  "onnx-padconv",
  () => new OnnxBackend({ name: "onnx-padconv", convTranspose: false }),
);
registerBackend("onnx-conv", () => new OnnxBackend({ name: "onnx-conv", convWindows: false }));

/** Mean milliseconds of one call after a compile-and-warm-up call. */
function time(f: () => Tree): number {
  const read = () => flatten(f()).leaves.forEach((l) => (l as Tensor).dataSync());
  read();
  const t0 = performance.now();
  for (let i = 0; i < REPS; i++) read();
  return (performance.now() - t0) / REPS;
}

const rows: { name: string; ms: Record<string, number> }[] = [
  { name: "∇r, classifier reward, 1024 images", ms: {} },
  { name: "UNet MFM parameter gradient, batch 64", ms: {} },
];
for (const backend of ["onnx", "onnx-padconv", "onnx-conv"]) {
  // jit runs on its inputs' backend: load and draw everything on this one (same seeds)
  setBackend(backend);
  const reward = await onnxReward(`${MNIST_CHECKPOINT_DIR}/classifier.onnx`, {
    classWeights: [0, 0.1, 0, 0.1, 0, 0.2, 0, 0.2, 0, 0.4],
  });
  const { net, params } = await loadMnistMfm();
  const x = normal(key(1), [1024, 784]);
  const b = 64;
  const [xs, xt, eps] = [2, 3, 4].map((i) => normal(key(i), [b, 784]));
  const t = uniform(key(5), [b]);
  const gr = jit((y: Tensor) => grad((z: Tensor) => reward.reward(z).sum())(y));
  rows[0].ms[backend] = time(() => gr(x));
  const gp = jit((p: MfmUNetParams) =>
    grad((q: MfmUNetParams) =>
      mfmUNetVelocity(net, q)(t, t.add(0.1), xs, t, xt).sub(eps).square().mean()
    )(p)
  );
  rows[1].ms[backend] = time(() => gp(params));
}
console.log(
  `conv cotangents on onnx (${REPS} calls each): default lowering vs input cotangent as pad + ` +
    `Conv vs kernel cotangent as Conv`,
);
for (const r of rows) {
  const [a, c, k] = [r.ms["onnx"], r.ms["onnx-padconv"], r.ms["onnx-conv"]];
  console.log(
    `${r.name}: ${a.toFixed(1)} ms; pad + Conv ${c.toFixed(1)} ms (default ×${
      (c / a).toFixed(2)
    } faster); kernel cotangent as Conv ${k.toFixed(1)} ms (default ×${(k / a).toFixed(2)} faster)`,
  );
}
