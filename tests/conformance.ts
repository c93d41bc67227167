/**
 * The backend conformance suite: every primitive (value, jvp, vjp), the composite ops and the
 * transforms (grad, jvp, grad of jvp, jvp of grad), and a short training run, each computed on
 * the backend under test and on the `cpu` oracle in float32 and compared with a tolerance
 * stated per op. Backend-generic: a backend's test file calls `defineConformanceTests(name)`.
 *
 * @module
 */

import {
  assertAllClose,
  attention,
  conv2d,
  convTranspose2d,
  flatten,
  foldIn,
  gelu,
  getBackend,
  grad,
  groupNorm,
  isFloat,
  jit,
  jvp,
  key,
  layerNorm,
  logsumexp,
  matmul,
  mse,
  normal,
  type Prim,
  PRIMS,
  setBackend,
  silu,
  sliceAxis,
  softmax,
  softplus,
  split,
  type Tensor,
  type Tolerance,
  type Tree,
  valueAndGrad,
  vjp,
} from "@mfm/tensor";
import { adam, initMlp, mlp, type MlpParams } from "@mfm/nn";
import { caseFn, PRIMITIVE_CASES } from "./cases.ts";

/** float32 tolerances per primitive family (the backend against the cpu oracle). */
export const TOLERANCES: Record<string, Tolerance> = {
  exact: { rtol: 0, atol: 0 },
  elementwise: { rtol: 1e-6, atol: 1e-6 },
  transcendental: { rtol: 2e-5, atol: 2e-6 },
  contraction: { rtol: 1e-4, atol: 1e-5 },
  composite: { rtol: 2e-4, atol: 2e-5 },
  training: { rtol: 1e-4, atol: 1e-6 },
};

const FAMILY: Partial<Record<Prim, keyof typeof TOLERANCES>> = {
  exp: "transcendental",
  log: "transcendental",
  sin: "transcendental",
  cos: "transcendental",
  tanh: "transcendental",
  sqrt: "transcendental",
  erf: "transcendental",
  logistic: "transcendental",
  pow: "transcendental",
  div: "transcendental",
  reduce_sum: "contraction",
  dot: "contraction",
  conv: "contraction",
  scatter_add: "contraction",
};

/**
 * The float32 tolerance the suite uses for a primitive.
 *
 * @example
 * ```ts
 * toleranceFor("dot"); // { rtol: 1e-4, atol: 1e-5 }
 * ```
 */
export function toleranceFor(prim: Prim): Tolerance {
  return TOLERANCES[FAMILY[prim] ?? "elementwise"];
}

/** Runs `f` with `backend` active and reads every tensor of its result to the host. */
async function runOn(
  backend: string,
  f: () => Tree,
): Promise<{ data: ArrayLike<number>; shape: readonly number[] }[]> {
  const before = getBackend().name;
  setBackend(backend);
  try {
    const { leaves } = flatten(f());
    return await Promise.all(leaves.map(async (t) => ({ data: await t.data(), shape: t.shape })));
  } finally {
    setBackend(before);
  }
}

/**
 * Computes `f` on `backend` and on `cpu` and compares every output tensor.
 *
 * @example
 * ```ts
 * await compareWithCpu("onnx", () => softmax(normal(key(0), [4, 5])), TOLERANCES.composite, "softmax");
 * ```
 */
export async function compareWithCpu(
  backend: string,
  f: () => Tree,
  tol: Tolerance,
  what: string,
): Promise<void> {
  const want = await runOn("cpu", f);
  const got = await runOn(backend, f);
  if (want.length !== got.length) {
    throw new Error(`${what}: ${got.length} outputs on ${backend}, ${want.length} on cpu`);
  }
  want.forEach((w, i) => {
    if (w.shape.join() !== got[i].shape.join()) {
      throw new Error(
        `${what} output ${i}: shape [${got[i].shape}] on ${backend}, [${w.shape}] on cpu`,
      );
    }
    assertAllClose(got[i].data, w.data, tol, `${what} output ${i} (${backend} vs cpu)`);
  });
}

const f32 = (k: ReturnType<typeof key>, shape: number[]) => normal(k, shape);

/** Value, jvp and vjp of one primitive case, in float32; jvp/vjp through `jit`. */
function primitiveOutputs(prim: Prim, ci: number): Tree {
  const k = foldIn(key(7), PRIMS.indexOf(prim) * 10 + ci);
  const c = PRIMITIVE_CASES[prim][ci](k);
  const diff = c.diff.map((t) => t.cast("float32"));
  const f = caseFn(prim, { ...c, params: prim === "cast" ? { dtype: "float32" } : c.params });
  const value = f(...diff);
  if (diff.length === 0 || !isFloat(value.dtype)) return { value };
  const [kt, kc] = split(foldIn(k, 99));
  const t = diff.map((x, i) => f32(foldIn(kt, i), [...x.shape]));
  const ct = f32(kc, [...value.shape]);
  const both = jit((xs: Tensor[], ts: Tensor[], cot: Tensor) => ({
    tangent: jvp(f, xs, ts).tangent,
    cotangents: vjp(f, ...xs).backward(cot),
  }));
  return { value, ...both(diff, t, ct) };
}

const COMPOSITES: Record<string, (x: Tensor) => Tensor> = {
  silu: (x) => silu(x),
  gelu: (x) => gelu(x),
  gelu_tanh: (x) => gelu(x, "tanh"),
  softplus: (x) => softplus(x.mul(3)),
  softmax: (x) => softmax(x, -1),
  logsumexp: (x) => logsumexp(x, -1),
  layer_norm: (x) => layerNorm(x),
  group_norm: (x) => groupNorm(x.reshape([2, 4, 3, 1]), 2),
  attention: (x) =>
    attention(x.reshape([2, 3, 4]), x.reshape([2, 3, 4]).mul(0.5), x.reshape([2, 3, 4])),
  mse: (x) => mse(x, x.mul(x)),
  matmul: (x) => matmul(x.reshape([2, 3, 4]), x.reshape([6, 4]).transpose().reshape([4, 6])),
  conv2d: (x) =>
    conv2d(x.reshape([1, 2, 3, 4]), x.reshape([6, 2, 2, 1]), { stride: [1, 2], padding: 1 }),
  conv_transpose2d: (x) =>
    convTranspose2d(x.reshape([1, 2, 3, 4]), x.reshape([2, 3, 2, 2]), {
      stride: 2,
      padding: [[1, 0], [0, 2]],
      outputPadding: [1, 0],
    }),
  // cropping more than the kernel reaches: negative conv padding (not a ConvTranspose on onnx)
  conv_transpose2d_crop: (x) =>
    convTranspose2d(x.reshape([1, 2, 3, 4]), x.reshape([2, 3, 2, 2]), {
      stride: 2,
      padding: [[2, 0], [0, 1]],
    }),
};

/**
 * Registers the conformance tests for `backend` (which must be registered).
 *
 * @example
 * ```ts
 * import "@mfm/backends/onnx";
 * defineConformanceTests("onnx");
 * ```
 */
export function defineConformanceTests(backend: string): void {
  for (const prim of PRIMS) {
    PRIMITIVE_CASES[prim].forEach((_, ci) => {
      Deno.test(`[${backend}] primitive ${prim} #${ci}: value, jvp and vjp match cpu`, async () => {
        await compareWithCpu(backend, () => primitiveOutputs(prim, ci), toleranceFor(prim), prim);
      });
    });
  }

  for (const [name, op] of Object.entries(COMPOSITES)) {
    Deno.test(`[${backend}] composite ${name}: value and gradient match cpu`, async () => {
      await compareWithCpu(
        backend,
        () => {
          const x = f32(key(3), [4, 6]);
          const g = valueAndGrad((y: Tensor) => op(y).square().sum())(x);
          return { value: op(x), loss: g.value, grad: g.grad };
        },
        TOLERANCES.composite,
        name,
      );
    });
  }

  Deno.test(`[${backend}] transforms: grad, jvp, grad of jvp, jvp of grad on an MLP match cpu`, async () => {
    await compareWithCpu(
      backend,
      () => {
        const [kp, kx, kv] = split(key(4), 3);
        const p = initMlp(kp, [3, 16, 16, 2]);
        const x = f32(kx, [8, 3]);
        const v = f32(kv, [8, 3]);
        const f = (y: Tensor) => mlp(p, y, "silu");
        const loss = (y: Tensor) => f(y).square().mean();
        const gradOfJvp = grad((y: Tensor) => jvp(f, [y], [v]).tangent.square().sum())(x);
        const jvpOfGrad = jvp(grad(loss), [x], [v]).tangent;
        const gParams = grad((q: MlpParams) => mlp(q, x, "gelu").square().mean())(p);
        return { g: grad(loss)(x), t: jvp(f, [x], [v]).tangent, gradOfJvp, jvpOfGrad, gParams };
      },
      TOLERANCES.composite,
      "transforms",
    );
  });

  Deno.test(`[${backend}] 50 Adam steps of a small MLP give the cpu loss curve`, async () => {
    await compareWithCpu(
      backend,
      () => {
        const [kp, kx] = split(key(5));
        const x = f32(kx, [64, 2]);
        const y = sliceAxis(x, 1, 0, 1).sin();
        const opt = adam({ lr: 1e-2 });
        let params = initMlp(kp, [2, 32, 32, 1]);
        let state = opt.init(params);
        const step = jit((p: MlpParams, s: typeof state) => {
          const { value, grad: g } = valueAndGrad((q: MlpParams) =>
            mlp(q, x, "silu").sub(y).square().mean()
          )(p);
          return { loss: value, ...opt.update(g, s, p) };
        });
        const losses: Tensor[] = [];
        for (let i = 0; i < 50; i++) {
          const r = step(params, state);
          losses.push(r.loss);
          params = r.params;
          state = r.state;
        }
        return losses;
      },
      TOLERANCES.training,
      "training curve",
    );
  });
}
