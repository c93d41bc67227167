// WGSL rendering is a pure function: every primitive renders without a device, and a snapshot
// pins the shape of one kernel.
import assert from "assert";
import "@mfm/backends/cpu";
import { key, type Prim, PRIMS, traceFlat, Var } from "@mfm/tensor";
import { caseFn, PRIMITIVE_CASES } from "../../tests/cases.ts";
import { renderKernel, wgslType } from "./wgsl.ts";

Deno.test("every primitive renders a WGSL kernel (without a device)", () => {
  const seen = new Set<Prim>();
  for (const prim of PRIMS) {
    for (const make of PRIMITIVE_CASES[prim]) {
      const c = make(key(1));
      // the raw trace (no constant folding): every equation of the case
      const inputs = c.diff.map((t) => t.cast("float32"));
      const { graph: g } = traceFlat((xs) => [caseFn(prim, c)(...xs)], inputs.map((t) => t.aval));
      for (const e of g.eqns) {
        const k = renderKernel(e);
        assert.match(k.code, /@compute @workgroup_size\(64\)\nfn main/);
        assert.equal(k.inputs, e.inputs.length);
        seen.add(e.prim);
      }
    }
  }
  for (const p of PRIMS) {
    assert.ok(seen.has(p) || p === "stop_gradient" || p === "cast", `no kernel rendered for ${p}`);
  }
});

Deno.test("kernel snapshot: a broadcasting add", () => {
  const a = new Var(0, { shape: [2, 3], dtype: "float32" });
  const b = new Var(1, { shape: [2, 3], dtype: "float32" });
  const k = renderKernel({ prim: "add", params: {}, inputs: [a, b], out: new Var(2, a.aval) });
  assert.equal(k.threads, 6);
  assert.ok(k.code.includes("@group(0) @binding(2) var<storage, read_write> out: array<f32>;"));
  assert.ok(k.code.includes("  if (i >= 6u) { return; }\n  out[i] = in0[i] + in1[i];"));
  assert.equal(wgslType("bool"), "u32");
});

Deno.test("kernel snapshot: matmul picks the tiled, register-blocked or plain kernel by shape", () => {
  const dot = (m: number, k: number, n: number) => {
    const a = new Var(0, { shape: [2, m, k], dtype: "float32" });
    const b = new Var(1, { shape: [2, k, n], dtype: "float32" });
    const out = new Var(2, { shape: [2, m, n], dtype: "float32" });
    return renderKernel({ prim: "dot", params: {}, inputs: [a, b], out });
  };
  const tiled = dot(40, 20, 36); // 2 batches × 2×2 tiles of 32×32, one workgroup each
  assert.match(tiled.code, /var<workgroup> As: array<f32, 512>;/);
  assert.match(tiled.code, /workgroupBarrier\(\);/);
  assert.equal(tiled.threads, 2 * 2 * 2 * 64);
  const blocked = dot(8, 3, 12); // 4×4 per thread
  assert.doesNotMatch(blocked.code, /var<workgroup>/);
  assert.equal(blocked.threads, (2 * 8 * 12) / 16);
  assert.equal(dot(3, 4, 5).threads, 2 * 3 * 5); // one output per thread
});
