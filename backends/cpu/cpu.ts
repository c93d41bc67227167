/**
 * The `cpu` backend: a plain TypeScript interpreter of the graph IR on typed arrays, using each
 * primitive's reference evaluation. Every other backend is tested against it.
 *
 * @module
 */

import type {
  Aval,
  Backend,
  DeviceBuffer,
  Executable,
  Graph,
  HostArray,
  Prim,
  PrimParams,
  Var,
} from "@mfm/tensor";
import { allocate, ruleFor } from "@mfm/tensor";
import { PLUGIN_API_VERSION, use } from "@mfm/plugins";

/** A cpu buffer: a host array (immutable once made). */
export class CpuBuffer implements DeviceBuffer {
  /** Wraps a host array. */
  constructor(readonly host: HostArray) {}
  /** Shape and dtype. */
  get aval(): Aval {
    return { shape: this.host.shape, dtype: this.host.dtype };
  }
}

interface CpuExecutable extends Executable {
  readonly graph: Graph<DeviceBuffer>;
  /** For each equation, the variables whose last use it is (freed after it runs). */
  readonly frees: readonly (readonly Var[])[];
}

function host(buf: DeviceBuffer): HostArray {
  if (!(buf instanceof CpuBuffer)) {
    throw new TypeError("cpu backend: got a buffer of another backend");
  }
  return buf.host;
}

function copy(h: HostArray): HostArray {
  const data = allocate(h.dtype, h.data.length);
  data.set(h.data);
  return { shape: [...h.shape], dtype: h.dtype, data };
}

/**
 * The reference interpreter backend.
 *
 * @example
 * ```ts
 * const cpu = new CpuBackend();
 * const b = cpu.upload({ shape: [2], dtype: "float32", data: new Float32Array([1, 2]) });
 * ```
 */
export class CpuBackend implements Backend {
  readonly name = "cpu";

  upload(h: HostArray): DeviceBuffer {
    return new CpuBuffer(copy(h));
  }

  read(buf: DeviceBuffer): Promise<HostArray> {
    return Promise.resolve(copy(host(buf)));
  }

  readSync(buf: DeviceBuffer): HostArray {
    return copy(host(buf));
  }

  executeOp<P extends Prim>(
    prim: P,
    params: PrimParams[P],
    inputs: readonly DeviceBuffer[],
    out: Aval,
  ): DeviceBuffer {
    return new CpuBuffer(ruleFor(prim).eval(inputs.map(host), params, out));
  }

  compile(graph: Graph<DeviceBuffer>): Executable {
    const last = new Map<Var, number>();
    graph.eqns.forEach((e, i) => e.inputs.forEach((v) => last.set(v, i)));
    for (const v of graph.outputs) last.delete(v);
    const frees: Var[][] = graph.eqns.map(() => []);
    for (const [v, i] of last) frees[i].push(v);
    const exe: CpuExecutable = {
      graph,
      frees,
      numInputs: graph.inputs.length,
      numOutputs: graph.outputs.length,
    };
    return exe;
  }

  execute(exe: Executable, inputs: readonly DeviceBuffer[]): DeviceBuffer[] {
    const { graph, frees } = exe as CpuExecutable;
    if (inputs.length !== graph.inputs.length) {
      throw new RangeError(
        `cpu execute: expected ${graph.inputs.length} inputs, got ${inputs.length}`,
      );
    }
    const env = new Map<Var, HostArray>();
    graph.inputs.forEach((v, i) => env.set(v, host(inputs[i])));
    for (const c of graph.consts) env.set(c.v, host(c.value));
    graph.eqns.forEach((e, i) => {
      env.set(e.out, ruleFor(e.prim).eval(e.inputs.map((v) => env.get(v)!), e.params, e.out.aval));
      for (const v of frees[i]) env.delete(v);
    });
    return graph.outputs.map((v) => new CpuBuffer(env.get(v)!));
  }
}

use({
  name: "mfm/cpu",
  apiVersion: PLUGIN_API_VERSION,
  description: "reference interpreter",
  backends: { cpu: () => new CpuBackend() },
});
