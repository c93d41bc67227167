/**
 * IR → WGSL: one compute kernel per equation, rendered from the equation alone (shapes are
 * static, so index arithmetic is baked in as constants). Pure functions, testable without a
 * device. float64 is computed as f32 (WGSL has no f64); int32 is i32; bool is u32 0/1.
 *
 * @module
 */

import type { DType, Eqn, Prim, PrimParams } from "@mfm/tensor";
import { sizeOf, stridesOf } from "@mfm/tensor";

/** A rendered kernel: WGSL source, number of input bindings, threads to launch. */
export interface Kernel {
  /** WGSL source with `main` as the entry point. */
  readonly code: string;
  /** Number of input buffers (bindings 0…n−1); the output is binding n. */
  readonly inputs: number;
  /** Output elements (one thread each). */
  readonly threads: number;
}

/** Threads per workgroup. */
export const WORKGROUP = 64;

/**
 * The WGSL element type of a dtype.
 *
 * @example
 * ```ts
 * wgslType("bool"); // "u32"
 * ```
 */
export function wgslType(d: DType): string {
  return d === "int32" ? "i32" : d === "bool" ? "u32" : "f32";
}

const lit = (v: number, d: DType): string => {
  if (d === "int32") return `${Math.trunc(v)}i`;
  if (d === "bool") return `${v ? 1 : 0}u`;
  if (Number.isNaN(v)) return "f32(0.0) / f32(0.0)";
  if (!Number.isFinite(v)) return v > 0 ? "bitcast<f32>(0x7f800000u)" : "bitcast<f32>(0xff800000u)";
  const s = Math.fround(v).toString();
  return /[.e]/.test(s) ? `f32(${s})` : `f32(${s}.0)`;
};

function header(eqn: Eqn): string {
  return headerOf(eqn.inputs.map((v) => v.aval.dtype), eqn.out.aval.dtype);
}

/**
 * The binding declarations (inputs 0…n−1 read-only, output n) and helper functions of a kernel.
 *
 * @example
 * ```ts
 * headerOf(["float32", "bool"], "float32"); // in0: array<f32>, in1: array<u32>, out: array<f32>
 * ```
 */
export function headerOf(ins: readonly DType[], out: DType): string {
  const bindings = ins.map((d, i) =>
    `@group(0) @binding(${i}) var<storage, read> in${i}: array<${wgslType(d)}>;`
  );
  const o = `@group(0) @binding(${ins.length}) var<storage, read_write> out: array<${
    wgslType(out)
  }>;`;
  return [...bindings, o, ERF_FN].join("\n");
}

// erf by Abramowitz–Stegun 7.1.26 (|error| ≤ 1.5e-7, below f32 tolerance)
const ERF_FN = `fn erf_f(x: f32) -> f32 {
  let s = sign(x); let a = abs(x);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-a * a);
  return s * y;
}`;

function kernel(eqn: Eqn, body: string, threads = sizeOf(eqn.out.aval.shape)): Kernel {
  return { code: wrap(header(eqn), body, threads), inputs: eqn.inputs.length, threads };
}

/**
 * A complete kernel around `body`: one thread per output element, flat index `i` (workgroups
 * past 65535 spill into y and are folded back in), out-of-range threads return.
 *
 * @example
 * ```ts
 * wrap(headerOf(["float32"], "float32"), "  out[i] = exp(in0[i]);", 10);
 * ```
 */
export function wrap(head: string, body: string, threads: number): string {
  return `${head}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * ${WORKGROUP}u;
  if (i >= ${Math.max(threads, 1)}u) { return; }
${body}
}`;
}

/** Output tile edge of the shared-memory matmul (a workgroup of 8×8 threads, 4×4 each). */
export const TILE = 32;
const TK = 16; // depth of one shared-memory step

// Shared-memory tiled matmul: a workgroup stages a 32×16 slab of A and a 16×32 slab of B in
// workgroup memory, each thread accumulates a 4×4 block in registers; every global element is
// loaded once per workgroup instead of once per output. Edges are zero-padded on load and
// masked on store, so any m, k, n work.
function dotTiled(eqn: Eqn, batch: number, m: number, k: number, n: number): Kernel {
  const [tm, tn] = [Math.ceil(m / TILE), Math.ceil(n / TILE)];
  const groups = batch * tm * tn;
  const xs = [0, 1, 2, 3];
  const body = [
    `var<workgroup> As: array<f32, ${TILE * TK}>;`,
    `var<workgroup> Bs: array<f32, ${TK * TILE}>;`,
    `@compute @workgroup_size(${WORKGROUP})`,
    `fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {`,
    `  let w = wid.x + wid.y * nwg.x;`,
    `  if (w >= ${groups}u) { return; }`, // uniform across the workgroup
    `  let b = w / ${tm * tn}u;`,
    `  let r0 = ((w / ${tn}u) % ${tm}u) * ${TILE}u;`,
    `  let c0 = (w % ${tn}u) * ${TILE}u;`,
    `  let ty = lid / 8u;`,
    `  let tx = lid % 8u;`,
    ...xs.flatMap((x) => xs.map((y) => `  var acc${x}_${y} = 0.0;`)),
    `  for (var k0 = 0u; k0 < ${k}u; k0 = k0 + ${TK}u) {`,
    `    for (var l = 0u; l < ${(TILE * TK) / WORKGROUP}u; l = l + 1u) {`,
    `      let e = lid + l * ${WORKGROUP}u;`,
    `      let ar = r0 + e / ${TK}u;`,
    `      let ak = k0 + e % ${TK}u;`,
    `      var av = 0.0;`,
    `      if (ar < ${m}u && ak < ${k}u) { av = in0[b * ${m * k}u + ar * ${k}u + ak]; }`,
    `      As[e] = av;`,
    `      let bk = k0 + e / ${TILE}u;`,
    `      let bc = c0 + e % ${TILE}u;`,
    `      var bv = 0.0;`,
    `      if (bk < ${k}u && bc < ${n}u) { bv = in1[b * ${k * n}u + bk * ${n}u + bc]; }`,
    `      Bs[e] = bv;`,
    `    }`,
    `    workgroupBarrier();`,
    `    for (var kk = 0u; kk < ${TK}u; kk = kk + 1u) {`,
    ...xs.map((x) => `      let a${x} = As[(ty * 4u + ${x}u) * ${TK}u + kk];`),
    ...xs.map((y) => `      let b${y} = Bs[kk * ${TILE}u + tx * 4u + ${y}u];`),
    ...xs.flatMap((x) => xs.map((y) => `      acc${x}_${y} = acc${x}_${y} + a${x} * b${y};`)),
    `    }`,
    `    workgroupBarrier();`,
    `  }`,
    ...xs.flatMap((x) =>
      xs.map((y) =>
        `  if (r0 + ty * 4u + ${x}u < ${m}u && c0 + tx * 4u + ${y}u < ${n}u) { out[b * ${
          m * n
        }u + (r0 + ty * 4u + ${x}u) * ${n}u + c0 + tx * 4u + ${y}u] = acc${x}_${y}; }`
      )
    ),
    `}`,
  ];
  return {
    code: `${header(eqn)}\n${body.join("\n")}`,
    inputs: 2,
    threads: sizeOf(eqn.out.aval.shape) === 0 ? 0 : groups * WORKGROUP,
  };
}

// Register blocking for dot: each thread computes a bm×bn tile of the output, so every loaded
// element feeds 4 multiply-adds instead of 1 (the naive kernel is load-bound).
const dotBlock = (d: number): number => (d % 4 === 0 ? 4 : 1);

function dotBody(m: number, k: number, n: number): string {
  const [bm, bn] = [dotBlock(m), dotBlock(n)];
  const [tm, tn] = [m / bm, n / bn];
  const rows = Array.from({ length: bm }, (_, x) => x);
  const cols = Array.from({ length: bn }, (_, y) => y);
  const lines = [
    `  let b = i / ${tm * tn}u;`,
    `  let row = ((i / ${tn}u) % ${tm}u) * ${bm}u;`,
    `  let col = (i % ${tn}u) * ${bn}u;`,
    `  let abase = b * ${m * k}u + row * ${k}u;`,
    `  let bbase = b * ${k * n}u + col;`,
    ...rows.flatMap((x) => cols.map((y) => `  var acc${x}_${y} = 0.0;`)),
    `  for (var p = 0u; p < ${k}u; p = p + 1u) {`,
    ...rows.map((x) => `    let a${x} = in0[abase + ${x * k}u + p];`),
    ...cols.map((y) => `    let b${y} = in1[bbase + p * ${n}u + ${y}u];`),
    ...rows.flatMap((x) => cols.map((y) => `    acc${x}_${y} = acc${x}_${y} + a${x} * b${y};`)),
    `  }`,
    `  let obase = b * ${m * n}u + row * ${n}u + col;`,
    ...rows.flatMap((x) => cols.map((y) => `  out[obase + ${x * n + y}u] = acc${x}_${y};`)),
  ];
  return lines.join("\n");
}

/** WGSL that turns the flat output index `i` into per-axis coordinates c0, c1, … of `shape`. */
function coords(shape: readonly number[], name = "c", index = "i"): string {
  const st = stridesOf(shape);
  return shape.map((d, k) => `  let ${name}${k} = (${index} / ${st[k]}u) % ${Math.max(d, 1)}u;`)
    .join("\n");
}

const UNARY: Partial<Record<Prim, (a: string) => string>> = {
  neg: (a) => `-(${a})`,
  exp: (a) => `exp(${a})`,
  log: (a) => `log(${a})`,
  sin: (a) => `sin(${a})`,
  cos: (a) => `cos(${a})`,
  tanh: (a) => `tanh(${a})`,
  sqrt: (a) => `sqrt(${a})`,
  erf: (a) => `erf_f(${a})`,
  logistic: (a) => `1.0 / (1.0 + exp(-(${a})))`,
  stop_gradient: (a) => a,
};

const BINARY: Partial<Record<Prim, (a: string, b: string, d: DType) => string>> = {
  add: (a, b) => `${a} + ${b}`,
  sub: (a, b) => `${a} - ${b}`,
  mul: (a, b) => `${a} * ${b}`,
  div: (a, b) => `${a} / ${b}`,
  max: (a, b) => `max(${a}, ${b})`,
  min: (a, b) => `min(${a}, ${b})`,
  // pow of a negative base with an integer exponent keeps its sign
  pow: (a, b) =>
    `select(pow(abs(${a}), ${b}) * select(1.0, -1.0, (${a} < 0.0) && (abs(${b} % 2.0) == 1.0)), pow(${a}, ${b}), ${a} >= 0.0)`,
};

const CMP: Record<PrimParams["compare"]["op"], string> = {
  lt: "<",
  le: "<=",
  gt: ">",
  ge: ">=",
  eq: "==",
  ne: "!=",
};

function castExpr(src: string, from: DType, to: DType): string {
  if (to === "bool") return `select(0u, 1u, ${src} != ${lit(0, from)})`;
  if (from === "bool") return to === "int32" ? `i32(${src})` : `f32(${src})`;
  if (to === "int32") return `i32(${src})`;
  return `f32(${src})`;
}

/**
 * The value of an elementwise equation (inputs and output of one size, read at the same flat
 * index; or a broadcast of one element) as a WGSL expression of its argument expressions; `undefined` for any other primitive.
 *
 * @example
 * ```ts
 * elementwiseExpr(addEqn, ["in0[i]", "t3"]); // "in0[i] + t3"
 * ```
 */
export function elementwiseExpr(eqn: Eqn, args: readonly string[]): string | undefined {
  const od = eqn.out.aval.dtype;
  const un = UNARY[eqn.prim];
  if (un) return un(args[0]);
  const bin = BINARY[eqn.prim];
  if (bin) return bin(args[0], args[1], od);
  switch (eqn.prim) {
    case "compare":
      return `select(0u, 1u, ${args[0]} ${CMP[(eqn.params as PrimParams["compare"]).op]} ${
        args[1]
      })`;
    case "select":
      return `select(${args[2]}, ${args[1]}, ${args[0]} != 0u)`;
    case "cast":
      return castExpr(args[0], eqn.inputs[0].aval.dtype, od);
    case "reshape":
      return args[0];
    case "broadcast": // of one element: every output reads it (larger broadcasts index)
      return sizeOf(eqn.inputs[0].aval.shape) === 1 ? args[0] : undefined;
    default:
      return undefined;
  }
}

/** Choices in how kernels are rendered. */
export interface RenderOptions {
  /**
   * Matmuls of at least 32×32 outputs use the shared-memory tiled kernel (default true). Software
   * adapters such as lavapipe run workgroup barriers slowly; there the register-blocked kernel
   * without shared memory is faster.
   */
  readonly tiledMatmul?: boolean;
}

/**
 * The kernel of one equation.
 *
 * @example
 * ```ts
 * const k = renderKernel(eqn); // k.code is WGSL
 * ```
 */
export function renderKernel(eqn: Eqn, opts: RenderOptions = {}): Kernel {
  const p = eqn.params as Record<string, unknown>;
  const inShape = (k: number) => eqn.inputs[k].aval.shape;
  const outShape = eqn.out.aval.shape;
  const od = eqn.out.aval.dtype;
  const ew = elementwiseExpr(
    eqn,
    eqn.inputs.map((v, k) => `in${k}[${sizeOf(v.aval.shape) === 1 ? "0u" : "i"}]`),
  );
  if (ew !== undefined) return kernel(eqn, `  out[i] = ${ew};`);
  switch (eqn.prim) {
    case "broadcast": {
      const xs = inShape(0);
      const lead = outShape.length - xs.length;
      const st = stridesOf(xs);
      const terms = outShape.map((
        _,
        k,
      ) => (k < lead || xs[k - lead] === 1 ? "" : `c${k} * ${st[k - lead]}u`)).filter(Boolean);
      return kernel(eqn, `${coords(outShape)}\n  out[i] = in0[${terms.join(" + ") || "0u"}];`);
    }
    case "transpose": {
      const perm = (p as PrimParams["transpose"]).perm;
      const st = stridesOf(inShape(0));
      const terms = perm.map((a, k) => `c${k} * ${st[a]}u`);
      return kernel(eqn, `${coords(outShape)}\n  out[i] = in0[${terms.join(" + ") || "0u"}];`);
    }
    case "slice": {
      const { starts, strides } = p as PrimParams["slice"];
      const st = stridesOf(inShape(0));
      const terms = outShape.map((_, k) => `(${starts[k]}u + c${k} * ${strides[k]}u) * ${st[k]}u`);
      return kernel(eqn, `${coords(outShape)}\n  out[i] = in0[${terms.join(" + ") || "0u"}];`);
    }
    case "rev": {
      const axes = (p as PrimParams["rev"]).axes;
      const xs = inShape(0);
      const st = stridesOf(xs);
      const terms = outShape.map((
        d,
        k,
      ) => (axes.includes(k) ? `(${d - 1}u - c${k}) * ${st[k]}u` : `c${k} * ${st[k]}u`));
      return kernel(eqn, `${coords(outShape)}\n  out[i] = in0[${terms.join(" + ") || "0u"}];`);
    }
    case "pad": {
      const { lo, interior, value } = p as PrimParams["pad"];
      const xs = inShape(0);
      const st = stridesOf(xs);
      const checks: string[] = [];
      const terms: string[] = [];
      outShape.forEach((_, k) => {
        const step = interior[k] + 1;
        checks.push(
          `(c${k} >= ${lo[k]}u) && ((c${k} - ${lo[k]}u) % ${step}u == 0u) && ((c${k} - ${
            lo[k]
          }u) / ${step}u < ${xs[k]}u)`,
        );
        terms.push(`((c${k} - ${lo[k]}u) / ${step}u) * ${st[k]}u`);
      });
      const inside = checks.join(" && ") || "true";
      return kernel(
        eqn,
        `${coords(outShape)}\n  var v = ${lit(value, od)};\n  if (${inside}) { v = in0[${
          terms.join(" + ") || "0u"
        }]; }\n  out[i] = v;`,
      );
    }
    case "concat": {
      const axis = (p as PrimParams["concat"]).axis;
      let at = 0;
      const branches = eqn.inputs.map((v, j) => {
        const xs = v.aval.shape;
        const st = stridesOf(xs);
        const terms = outShape.map((
          _,
          k,
        ) => (k === axis ? `(c${k} - ${at}u) * ${st[k]}u` : `c${k} * ${st[k]}u`));
        const cond = `c${axis} < ${at + xs[axis]}u`;
        at += xs[axis];
        return { cond, read: `in${j}[${terms.join(" + ") || "0u"}]` };
      });
      const chain = branches.map((
        b,
        j,
      ) => (j === branches.length - 1
        ? `{ out[i] = ${b.read}; }`
        : `if (${b.cond}) { out[i] = ${b.read}; } else `)
      ).join("");
      return kernel(eqn, `${coords(outShape)}\n  ${chain}`);
    }
    case "reduce_sum":
    case "reduce_max": {
      const axes = (p as PrimParams["reduce_sum"]).axes;
      const xs = inShape(0);
      const st = stridesOf(xs);
      const kept = xs.map((_, k) => k).filter((k) => !axes.includes(k));
      const red = axes.map((k) => xs[k]);
      const n = sizeOf(red);
      const rst = stridesOf(red);
      const base = kept.map((k, j) => `c${j} * ${st[k]}u`).join(" + ") || "0u";
      const inner = axes.map((k, j) => `((r / ${rst[j]}u) % ${red[j]}u) * ${st[k]}u`).join(" + ") ||
        "0u";
      const init = eqn.prim === "reduce_sum" ? lit(0, od) : lit(-Infinity, od);
      const comb = eqn.prim === "reduce_sum" ? "acc = acc + x;" : "acc = max(acc, x);";
      return kernel(
        eqn,
        `${
          coords(outShape)
        }\n  let base = ${base};\n  var acc = ${init};\n  for (var r = 0u; r < ${n}u; r = r + 1u) {\n    let x = in0[base + ${inner}];\n    ${comb}\n  }\n  out[i] = acc;`,
      );
    }
    case "dot": {
      const a = inShape(0);
      const r = a.length;
      const [m, k] = [a[r - 2], a[r - 1]];
      const n = inShape(1)[r - 1];
      if ((opts.tiledMatmul ?? true) && m >= TILE && n >= TILE) {
        return dotTiled(eqn, sizeOf(a.slice(0, -2)), m, k, n);
      }
      return kernel(eqn, dotBody(m, k, n), sizeOf(outShape) / (dotBlock(m) * dotBlock(n)));
    }
    case "conv": {
      const { strides, padding, lhsDilation, rhsDilation } = p as PrimParams["conv"];
      const [, C, H, W] = inShape(0);
      const [, , KH, KW] = inShape(1);
      const [, O, HO, WO] = outShape;
      return kernel(
        eqn,
        `  let n = i / ${O * HO * WO}u;\n  let o = (i / ${
          HO * WO
        }u) % ${O}u;\n  let oh = i32((i / ${WO}u) % ${HO}u);\n  let ow = i32(i % ${WO}u);\n  var acc = 0.0;\n` +
          `  for (var c = 0u; c < ${C}u; c = c + 1u) {\n    for (var kh = 0; kh < ${KH}; kh = kh + 1) {\n      let ph = oh * ${
            strides[0]
          } + kh * ${rhsDilation[0]} - ${padding[0][0]};\n` +
          `      if (ph < 0 || ph % ${lhsDilation[0]} != 0 || ph / ${
            lhsDilation[0]
          } >= ${H}) { continue; }\n      for (var kw = 0; kw < ${KW}; kw = kw + 1) {\n` +
          `        let pw = ow * ${strides[1]} + kw * ${rhsDilation[1]} - ${
            padding[1][0]
          };\n        if (pw < 0 || pw % ${lhsDilation[1]} != 0 || pw / ${
            lhsDilation[1]
          } >= ${W}) { continue; }\n` +
          `        acc = acc + in0[((n * ${C}u + c) * ${H}u + u32(ph / ${
            lhsDilation[0]
          })) * ${W}u + u32(pw / ${
            lhsDilation[1]
          })] * in1[((o * ${C}u + c) * ${KH}u + u32(kh)) * ${KW}u + u32(kw)];\n      }\n    }\n  }\n  out[i] = acc;`,
      );
    }
    case "gather": {
      const axis = (p as PrimParams["gather"]).axis;
      const xs = inShape(0);
      const m = sizeOf(inShape(1));
      const inner = sizeOf(xs.slice(axis + 1));
      const n = xs[axis];
      return kernel(
        eqn,
        `  let o = i / ${
          m * inner
        }u;\n  let j = (i / ${inner}u) % ${m}u;\n  let q = i % ${inner}u;\n  out[i] = in0[(o * ${n}u + u32(in1[j])) * ${inner}u + q];`,
      );
    }
    case "scatter_add": {
      const { axis, size } = p as PrimParams["scatter_add"];
      const us = inShape(0);
      const k = inShape(1).length;
      const m = sizeOf(inShape(1));
      const inner = sizeOf(us.slice(axis + k));
      return kernel(
        eqn,
        `  let o = i / ${
          size * inner
        }u;\n  let pos = i32((i / ${inner}u) % ${size}u);\n  let q = i % ${inner}u;\n  var acc = ${
          lit(0, od)
        };\n  for (var j = 0u; j < ${m}u; j = j + 1u) {\n    if (in1[j] == pos) { acc = acc + in0[(o * ${m}u + j) * ${inner}u + q]; }\n  }\n  out[i] = acc;`,
      );
    }
  }
  throw new Error(`webgpu: no kernel for primitive "${eqn.prim}"`);
}
