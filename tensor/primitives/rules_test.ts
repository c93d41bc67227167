// Table-driven check of every primitive's rules: jvp against central finite differences in
// float64 along a random direction, and vjp against jvp through ⟨J t, c⟩ = ⟨t, Jᵀ c⟩.
import assert from "assert";
import "@mfm/backends/cpu";
import {
  add,
  assertAllClose,
  bind,
  type CompareOp,
  foldIn,
  jvp,
  key,
  normal,
  type Prim,
  PRIMS,
  RULES,
  split,
  tensor,
  vdot,
  vjp,
} from "@mfm/tensor";
import { caseFn, PRIMITIVE_CASES } from "../../tests/cases.ts";

const n = (k: ReturnType<typeof key>, shape: number[]) => normal(k, shape, { dtype: "float64" });
const EPS = 1e-6;
// Primitives whose derivative is zero by definition: FD of the value would not be zero.
const ZERO_JVP = new Set<Prim>(["stop_gradient"]);

for (const prim of PRIMS) {
  PRIMITIVE_CASES[prim].forEach((make, ci) => {
    Deno.test(`primitive ${prim} #${ci}: jvp matches finite differences, vjp matches jvp`, () => {
      const k = foldIn(key(7), PRIMS.indexOf(prim) * 10 + ci);
      const c = make(k);
      const f = caseFn(prim, c);
      const x = c.diff;
      if (x.length === 0) {
        // no float inputs: the rule must say "zero derivative" and evaluation must run
        const out = f();
        const rule = RULES[prim] as { jvp: (a: unknown) => unknown };
        assert.equal(
          rule.jvp({ primals: c.fixed, tangents: c.fixed!.map(() => null), out, params: c.params }),
          null,
        );
        return;
      }
      const [kt, kc] = split(foldIn(k, 99));
      const t = x.map((xi, i) => n(foldIn(kt, i), [...xi.shape]));
      const { primal, tangent } = jvp(f, x, t);
      const plus = f(...x.map((xi, i) => add(xi, t[i].mul(EPS))));
      const minus = f(...x.map((xi, i) => add(xi, t[i].mul(-EPS))));
      const fd = plus.sub(minus).div(2 * EPS);
      if (ZERO_JVP.has(prim)) assertAllClose(tangent, fd.mul(0), { atol: 0 }, `${prim} jvp`);
      else {assertAllClose(
          tangent,
          fd,
          { rtol: 1e-6, atol: 1e-7 },
          `${prim} jvp vs finite differences`,
        );}
      // ⟨J t, c⟩ = ⟨t, Jᵀ c⟩
      const ct = n(kc, [...primal.shape]);
      const { backward } = vjp(f, ...x);
      const cts = backward(ct);
      const lhs = vdot(tangent, ct);
      const rhs = cts.reduce((s, g, i) => s + vdot(t[i], g), 0);
      assert.ok(
        Math.abs(lhs - rhs) <= 1e-10 * (1 + Math.abs(lhs)),
        `${prim}: <Jt,c>=${lhs} but <t,J'c>=${rhs}`,
      );
    });
  });
}

Deno.test("every primitive has a rule-check case", () => {
  for (const p of PRIMS) assert.ok(PRIMITIVE_CASES[p]?.length > 0, `no case for ${p}`);
  assert.deepEqual(Object.keys(RULES).sort(), [...PRIMS].sort());
});

Deno.test("compare evaluates every op", () => {
  const a = tensor([1, 2, 3], { dtype: "float64" });
  const b = tensor([2, 2, 2], { dtype: "float64" });
  const expect: Record<CompareOp, number[]> = {
    lt: [1, 0, 0],
    le: [1, 1, 0],
    gt: [0, 0, 1],
    ge: [0, 1, 1],
    eq: [0, 1, 0],
    ne: [1, 0, 1],
  };
  for (const [op, want] of Object.entries(expect)) {
    assert.deepEqual(
      Array.from(bind("compare", [a, b], { op: op as CompareOp }).dataSync()),
      want,
      op,
    );
  }
});
