// Transform composition against finite differences and closed forms: higher-order derivatives,
// grad of a function containing jvp, grad w.r.t. inputs through logsumexp of many draws.
import assert from "assert";
import "@mfm/backends/cpu";
import {
  assertAllClose,
  concat,
  foldIn,
  grad,
  jvp,
  key,
  logsumexp,
  matmul,
  normal,
  softmax,
  split,
  stopGradient,
  type Tensor,
  tensor,
  valueAndGrad,
  vdot,
} from "@mfm/tensor";

const f64 = (k: ReturnType<typeof key>, shape: number[]) => normal(k, shape, { dtype: "float64" });

/** Central difference of a tensor-valued function along v. */
function fd(f: (x: Tensor) => Tensor, x: Tensor, v: Tensor, eps = 1e-5): Tensor {
  return f(x.add(v.mul(eps))).sub(f(x.sub(v.mul(eps)))).div(2 * eps);
}

const [kc, kx, kv, kw] = split(key(11), 4);
const W = f64(kw, [4, 4]);
const C = f64(kc, [3, 4]);
const HIGHER: Record<string, (x: Tensor) => Tensor> = {
  mul: (x) => x.mul(x).mul(x),
  exp: (x) => x.exp(),
  tanh: (x) => x.tanh(),
  matmul: (x) => matmul(matmul(x, W).tanh(), W),
  softmax: (x) => softmax(x, -1),
};

for (const [name, f] of Object.entries(HIGHER)) {
  Deno.test(`second order (${name}): grad of grad, jvp of grad and jvp of jvp match finite differences`, () => {
    const phi = (x: Tensor) => f(x).mul(C).sum();
    const x = f64(kx, [3, 4]).mul(0.7);
    const v = f64(kv, [3, 4]);
    const g = grad(phi);
    const hvFd = fd(g as (x: Tensor) => Tensor, x, v);
    // reverse over reverse
    const hvRR = grad((y: Tensor) => (g(y) as Tensor).mul(v).sum())(x);
    assertAllClose(hvRR as Tensor, hvFd, { rtol: 1e-6, atol: 1e-8 }, `${name} grad∘grad`);
    // forward over reverse
    const hvFR = jvp(g as (x: Tensor) => Tensor, [x], [v]).tangent;
    assertAllClose(hvFR, hvFd, { rtol: 1e-6, atol: 1e-8 }, `${name} jvp∘grad`);
    // forward over forward: d²/dε² f(x + εv)
    const dir = (y: Tensor) => jvp(f, [y], [v]).tangent;
    assertAllClose(
      jvp(dir, [x], [v]).tangent,
      fd(dir, x, v),
      { rtol: 1e-6, atol: 1e-8 },
      `${name} jvp∘jvp`,
    );
  });
}

Deno.test("grad of a loss containing jvp w.r.t. a scalar time input matches finite differences", () => {
  // A Mean-Flow-style loss: the time derivative of a network u(x, t) enters the loss.
  const [k1, k2, k3] = split(key(5), 3);
  const x = f64(k1, [8, 2]);
  const w1 = f64(k2, [3, 16]).mul(0.5);
  const w2 = f64(k3, [16, 2]).mul(0.5);
  const net = (xs: Tensor, t: Tensor) => {
    const inp = concat([xs, t.reshape([1, 1]).broadcastTo([xs.shape[0], 1])], -1);
    return matmul(matmul(inp, w1).tanh(), w2);
  };
  const loss = (t: Tensor) => {
    const { primal, tangent } = jvp((s: Tensor) => net(x, s), [t], [
      tensor(1, { dtype: "float64" }),
    ]);
    return primal.add(tangent.mul(t)).square().mean();
  };
  const t0 = tensor(0.3, { dtype: "float64" });
  const g = grad(loss)(t0) as Tensor;
  const eps = 1e-6;
  const num = (loss(tensor(0.3 + eps, { dtype: "float64" })).item() -
    loss(tensor(0.3 - eps, { dtype: "float64" })).item()) /
    (2 * eps);
  assertAllClose(g.item(), num, { rtol: 1e-6 });
});

Deno.test("grad w.r.t. inputs of a logsumexp over many noise draws matches finite differences", () => {
  const eps = f64(key(9), [256, 2]);
  const a = tensor([0.5, -1], { dtype: "float64" });
  const reward = (y: Tensor) => y.sub(a).square().sum(-1).mul(-0.5).add(y.sin().sum(-1));
  const value = (x: Tensor) => logsumexp(reward(x.add(eps.mul(0.3))), 0).sub(Math.log(256));
  const x = tensor([0.2, 0.1], { dtype: "float64" });
  const g = grad(value)(x) as Tensor;
  for (let i = 0; i < 2; i++) {
    const e = tensor(i === 0 ? [1, 0] : [0, 1], { dtype: "float64" });
    const num = (value(x.add(e.mul(1e-6))).item() - value(x.sub(e.mul(1e-6))).item()) / 2e-6;
    assertAllClose(g.dataSync()[i], num, { rtol: 1e-6 }, `component ${i}`);
  }
});

Deno.test("gradients w.r.t. parameters and inputs together; trees in and out", () => {
  const [k1, k2] = split(key(2));
  const params = { w: f64(k1, [3, 2]), b: tensor([0.1, -0.2], { dtype: "float64" }) };
  const x = f64(k2, [4, 3]);
  const loss = (p: typeof params, xs: Tensor) => matmul(xs, p.w).add(p.b).tanh().sum();
  const [gp, gx] = grad(loss, { argnums: [0, 1] })(params, x) as [typeof params, Tensor];
  assert.deepEqual(gp.w.shape, [3, 2]);
  assert.deepEqual(gx.shape, [4, 3]);
  // closed form: d/db Σ tanh(z) = Σ_rows (1 − tanh²(z))
  const z = matmul(x, params.w).add(params.b).tanh();
  assertAllClose(gp.b, z.square().neg().add(1).sum(0), { rtol: 1e-12 });
  assertAllClose(gx, z.square().neg().add(1).matmul(params.w.transpose()), { rtol: 1e-12 });
});

Deno.test("stopGradient blocks derivatives in grad and jvp; hasAux passes values through", () => {
  const x = tensor([1.5, -2], { dtype: "float64" });
  const f = (y: Tensor) => y.mul(stopGradient(y)).sum();
  assertAllClose(grad(f)(x) as Tensor, x, { rtol: 0 });
  assertAllClose(
    jvp(f, [x], [tensor([1, 1], { dtype: "float64" })]).tangent,
    vdot(x, x.mul(0).add(1)),
    { rtol: 1e-15 },
  );
  const vg = valueAndGrad((y: Tensor) => ({ value: y.square().sum(), aux: { double: y.mul(2) } }), {
    hasAux: true,
  })(x);
  assert.equal(vg.value.item(), 1.5 ** 2 + 4);
  assert.deepEqual((vg.aux as { double: Tensor }).double.toArray(), [3, -4]);
});

Deno.test("bad uses of the transforms fail with clear messages", () => {
  const x = tensor([1, 2]);
  assert.throws(() => grad((y: Tensor) => y.mul(2))(x), /must return a float scalar.*float32\[2\]/);
  assert.throws(() => grad((y: Tensor) => y.sum(), { argnums: 3 })(x), /argnums 3 is out of range/);
  assert.throws(
    () => grad((y: Tensor) => y.sum(), { argnum: 0 } as never)(x),
    /unknown option "argnum"; valid options: argnums, hasAux/,
  );
  assert.throws(() => jvp((y: Tensor) => y, [x], [tensor([1, 2, 3])]), /tangent 0 is float32\[3\]/);
  let leaked: Tensor | undefined;
  grad((y: Tensor) => {
    leaked = y.mul(2);
    return y.sum();
  })(x);
  assert.throws(() => leaked!.add(1), /escaped/);
  assert.throws(() => leaked!.dataSync(), /being traced/);
});

Deno.test("randomly keyed draws are deterministic inside transforms", () => {
  const g1 = grad((y: Tensor) => y.mul(normal(foldIn(key(1), 3), [2])).sum())(tensor([0, 0]));
  const g2 = grad((y: Tensor) => y.mul(normal(foldIn(key(1), 3), [2])).sum())(tensor([0, 0]));
  assert.deepEqual((g1 as Tensor).toArray(), (g2 as Tensor).toArray());
});
