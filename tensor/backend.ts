/**
 * The backend seam: a backend turns graphs into runnable executables and owns device buffers.
 * Backends register by name; the active one receives new tensors and eager operations.
 *
 * @module
 */

import type { Aval, HostArray } from "./dtype.ts";
import { type Graph, type Prim, type PrimParams, Var } from "./ir.ts";

/**
 * A buffer owned by a backend. Each backend extends it with what it needs; user code never sees
 * inside it.
 */
export interface DeviceBuffer {
  /** Shape and dtype of the contents. */
  readonly aval: Aval;
}

/** A compiled graph, ready to run on the backend that made it. */
export interface Executable {
  /** Number of inputs the executable takes (the graph's inputs, constants already bound). */
  readonly numInputs: number;
  /** Number of outputs it returns. */
  readonly numOutputs: number;
}

/**
 * What every backend provides. Rendering and running are separate: `compile` may be pure
 * (IR → ONNX bytes, IR → WGSL) with `execute` doing the work.
 *
 * @example
 * ```ts
 * const b = getBackend();
 * const buf = b.upload({ shape: [1], dtype: "float32", data: new Float32Array([1]) });
 * ```
 */
export interface Backend {
  /** Registered name (`cpu`, `onnx`, `webgpu`). */
  readonly name: string;
  /** Copies a host array into a device buffer. */
  upload(host: HostArray): DeviceBuffer;
  /** Reads a buffer back to the host. */
  read(buf: DeviceBuffer): Promise<HostArray>;
  /** Reads a buffer back synchronously, where the backend can (the cpu backend can). */
  readSync?(buf: DeviceBuffer): HostArray;
  /** Runs one primitive eagerly. */
  executeOp<P extends Prim>(
    prim: P,
    params: PrimParams[P],
    inputs: readonly DeviceBuffer[],
    out: Aval,
  ): DeviceBuffer;
  /** Compiles a whole graph; constants are already buffers of this backend. */
  compile(graph: Graph<DeviceBuffer>): Executable;
  /** Runs a compiled graph. */
  execute(exe: Executable, inputs: readonly DeviceBuffer[]): DeviceBuffer[];
}

const factories = new Map<string, () => Backend>();
const instances = new Map<string, Backend>();
let active: string | undefined;

/**
 * Registers a backend factory under a name; the first registered becomes active.
 *
 * @example
 * ```ts
 * registerBackend("mine", () => new MyBackend());
 * ```
 */
export function registerBackend(name: string, factory: () => Backend): void {
  if (factories.has(name)) throw new Error(`backend "${name}" is already registered`);
  factories.set(name, factory);
  active ??= name;
}

/**
 * Names of the registered backends.
 *
 * @example
 * ```ts
 * listBackends(); // ["cpu"]
 * ```
 */
export function listBackends(): string[] {
  return [...factories.keys()];
}

/**
 * The backend of that name (created on first use), or the active one.
 *
 * @example
 * ```ts
 * const cpu = getBackend("cpu");
 * ```
 */
export function getBackend(name?: string): Backend {
  const key = name ?? active;
  if (key === undefined) {
    throw new Error(
      "no backend is registered: import mfm's mod.ts or a backend module (backends/cpu)",
    );
  }
  let b = instances.get(key);
  if (!b) {
    const f = factories.get(key);
    if (!f) {
      throw new Error(
        `unknown backend "${key}": expected one of ${listBackends().join(", ") || "(none)"}`,
      );
    }
    b = f();
    instances.set(key, b);
  }
  return b;
}

/**
 * Makes a registered backend the active one (new tensors and eager ops go to it).
 *
 * @example
 * ```ts
 * setBackend("cpu");
 * ```
 */
export function setBackend(name: string): Backend {
  const b = getBackend(name);
  active = name;
  return b;
}

/**
 * `executeOp` for a compiling backend: the primitive as a one-equation graph, compiled once per
 * primitive, parameters and input signature (kept in `cache`), then run.
 *
 * @example
 * ```ts
 * executeOp(prim, params, inputs, out) {
 *   return executeOpCompiled(this, this.opCache, prim, params, inputs, out);
 * }
 * ```
 */
export function executeOpCompiled<P extends Prim>(
  backend: Backend,
  cache: Map<string, Executable>,
  prim: P,
  params: PrimParams[P],
  inputs: readonly DeviceBuffer[],
  out: Aval,
): DeviceBuffer {
  const key = `${prim}|${JSON.stringify(params)}|${
    inputs.map((b) => `${b.aval.dtype}[${b.aval.shape}]`).join(";")
  }`;
  let exe = cache.get(key);
  if (!exe) {
    const ins = inputs.map((b, i) => new Var(i, b.aval));
    const o = new Var(ins.length, out);
    exe = backend.compile({
      inputs: ins,
      consts: [],
      eqns: [{ prim, params, inputs: ins, out: o }],
      outputs: [o],
    });
    cache.set(key, exe);
  }
  return backend.execute(exe, inputs)[0];
}
