/**
 * The `webgpu` backend: each compiled graph is a sequence of WGSL kernels recorded into one
 * command-encoder submission; buffers stay on the device between calls; pipelines are cached by
 * source; only what the caller reads comes back (asynchronously, as WebGPU maps buffers).
 * Device acquisition tries Dawn (`npm:webgpu`) first, then the runtime's own `navigator.gpu`
 * (Deno's, which runs on Mesa lavapipe).
 *
 * @module
 */

import {
  allocate,
  type Aval,
  type Backend,
  type DeviceBuffer,
  type Executable,
  executeOpCompiled,
  type Graph,
  type HostArray,
  type Prim,
  type PrimParams,
  sizeOf,
  Var,
} from "@mfm/tensor";
import { type RenderOptions, WORKGROUP } from "./wgsl.ts";
import { fuseKernels, type KernelStep } from "./fuse.ts";

/** A device buffer holding one tensor (f32, i32 or u32 elements). */
export class WebGpuBuffer implements DeviceBuffer {
  /** Wraps a GPU buffer of known shape and dtype. */
  constructor(
    /** Shape and dtype. */
    readonly aval: Aval,
    /** The GPU buffer. */
    readonly buffer: GPUBuffer,
  ) {}
}

interface Step extends KernelStep {
  readonly pipeline: GPUComputePipeline;
}

/** A compiled graph: its kernels in order. */
export interface WebGpuExecutable extends Executable {
  /** Kernels with their pipelines. */
  readonly steps: readonly Step[];
  /** The graph (constants as device buffers). */
  readonly graph: Graph<DeviceBuffer>;
}

/** Which adapter was chosen. */
export interface AdapterReport {
  /** `dawn` or `navigator.gpu`. */
  readonly source: string;
  /** Vendor / architecture / device / description as the adapter reports them. */
  readonly description: string;
  /** Whether it is a fallback (software) adapter such as lavapipe. */
  readonly fallback: boolean;
}

const USAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

function buf(b: DeviceBuffer): WebGpuBuffer {
  if (!(b instanceof WebGpuBuffer)) {
    throw new TypeError("webgpu backend: got a buffer of another backend");
  }
  return b;
}

/**
 * The WebGPU backend on an acquired device (see `initWebGpu`).
 *
 * @example
 * ```ts
 * const backend = await initWebGpu();
 * setBackend("webgpu");
 * ```
 */
export class WebGpuBackend implements Backend {
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly opCache = new Map<string, Executable>();

  /** A backend on `device`. */
  constructor(
    /** The GPU device. */
    readonly device: GPUDevice,
    /** The adapter it came from. */
    readonly adapter: AdapterReport,
    /** Kernel choices; by default the tiled matmul on hardware adapters, not on software ones. */
    readonly render: RenderOptions = { tiledMatmul: !adapter.fallback },
    /** The name it is registered under. */
    readonly name: string = "webgpu",
  ) {
    // WebGPU reports invalid kernels and dispatches asynchronously; without this they would
    // surface as silent zeros. Collected here, thrown at the next read.
    device.addEventListener("uncapturederror", (ev) => {
      this.errors.push((ev as GPUUncapturedErrorEvent).error.message);
    });
  }

  private readonly errors: string[] = [];

  upload(h: HostArray): DeviceBuffer {
    const n = sizeOf(h.shape);
    const b = this.device.createBuffer({ size: Math.max(4, 4 * n), usage: USAGE() });
    const data = h.dtype === "int32"
      ? Int32Array.from(h.data)
      : h.dtype === "bool"
      ? Uint32Array.from(h.data)
      : Float32Array.from(h.data);
    if (n > 0) this.device.queue.writeBuffer(b, 0, data);
    return new WebGpuBuffer({ shape: [...h.shape], dtype: h.dtype }, b);
  }

  async read(b: DeviceBuffer): Promise<HostArray> {
    const wb = buf(b);
    const n = sizeOf(wb.aval.shape);
    const staging = this.device.createBuffer({
      size: Math.max(4, 4 * n),
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    const enc = this.device.createCommandEncoder();
    enc.copyBufferToBuffer(wb.buffer, 0, staging, 0, Math.max(4, 4 * n));
    this.device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const raw = staging.getMappedRange().slice(0);
    staging.unmap();
    staging.destroy();
    if (this.errors.length > 0) {
      const all = this.errors.splice(0);
      throw new Error(`webgpu: the device reported ${all.length} error(s): ${all.join(" | ")}`);
    }
    const src = wb.aval.dtype === "int32"
      ? new Int32Array(raw)
      : wb.aval.dtype === "bool"
      ? new Uint32Array(raw)
      : new Float32Array(raw);
    const data = allocate(wb.aval.dtype, n);
    for (let i = 0; i < n; i++) data[i] = src[i];
    return { shape: [...wb.aval.shape], dtype: wb.aval.dtype, data };
  }

  executeOp<P extends Prim>(
    prim: P,
    params: PrimParams[P],
    inputs: readonly DeviceBuffer[],
    out: Aval,
  ): DeviceBuffer {
    return executeOpCompiled(this, this.opCache, prim, params, inputs, out);
  }

  private pipeline(code: string, label: string): GPUComputePipeline {
    let p = this.pipelines.get(code);
    if (!p) {
      const module = this.device.createShaderModule({ code, label });
      p = this.device.createComputePipeline({
        layout: "auto",
        compute: { module, entryPoint: "main" },
      });
      this.pipelines.set(code, p);
    }
    return p;
  }

  compile(graph: Graph<DeviceBuffer>): WebGpuExecutable {
    const steps = fuseKernels(
      graph,
      this.device.limits.maxStorageBuffersPerShaderStage - 1,
      this.render,
    ).map((
      s,
    ) => ({ ...s, pipeline: this.pipeline(s.kernel.code, s.label) }));
    return { steps, graph, numInputs: graph.inputs.length, numOutputs: graph.outputs.length };
  }

  execute(exe: Executable, inputs: readonly DeviceBuffer[]): DeviceBuffer[] {
    const x = exe as WebGpuExecutable;
    if (inputs.length !== x.graph.inputs.length) {
      throw new RangeError(
        `webgpu execute: expected ${x.graph.inputs.length} inputs, got ${inputs.length}`,
      );
    }
    const env = new Map<Var, GPUBuffer>();
    x.graph.inputs.forEach((v, i) => env.set(v, buf(inputs[i]).buffer));
    for (const c of x.graph.consts) env.set(c.v, buf(c.value).buffer);
    const owned: GPUBuffer[] = [];
    const enc = this.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    for (const s of x.steps) {
      const out = this.device.createBuffer({
        size: Math.max(4, 4 * sizeOf(s.out.aval.shape)),
        usage: USAGE(),
      });
      owned.push(out);
      env.set(s.out, out);
      if (s.kernel.threads === 0) continue;
      const entries = [
        ...s.inputs.map((v, i) => ({ binding: i, resource: { buffer: env.get(v)! } })),
        {
          binding: s.inputs.length,
          resource: { buffer: out },
        },
      ];
      pass.setPipeline(s.pipeline);
      pass.setBindGroup(
        0,
        this.device.createBindGroup({ layout: s.pipeline.getBindGroupLayout(0), entries }),
      );
      const groups = Math.ceil(s.kernel.threads / WORKGROUP);
      // more than 65535 workgroups spill into the y dimension (the kernel folds gid.y back in)
      const gx = Math.min(groups, 65535);
      pass.dispatchWorkgroups(gx, Math.ceil(groups / gx));
    }
    pass.end();
    this.device.queue.submit([enc.finish()]);
    const keep = new Set(x.graph.outputs.map((v) => env.get(v)!));
    for (const b of owned) if (!keep.has(b)) b.destroy(); // freed once the submitted work is done
    return x.graph.outputs.map((v) => new WebGpuBuffer(v.aval, env.get(v)!));
  }
}

let acquired: WebGpuBackend | undefined;

function describe(adapter: GPUAdapter): { description: string; fallback: boolean } {
  const info = (adapter as unknown as { info?: Record<string, unknown> }).info ?? {};
  const parts = ["vendor", "architecture", "device", "description"].map((k) => info[k]).filter((
    v,
  ) => typeof v === "string" && v);
  return {
    description: parts.join(" / ") || "unknown adapter",
    fallback: Boolean(
      info.isFallbackAdapter ??
        (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter,
    ),
  };
}

/**
 * Acquires a WebGPU device — Dawn (`npm:webgpu`) first when it finds an adapter (skip it with
 * `tryDawn: false` or `MFM_WEBGPU_DAWN=0`), else the runtime's `navigator.gpu` — and returns the backend (registered as `webgpu`). Fails with a clear message
 * when there is no adapter at all. `matmul` (or `MFM_WEBGPU_MATMUL`) picks the matmul kernel;
 * by default tiled on hardware adapters, register-blocked on software ones.
 *
 * @example
 * ```ts
 * const b = await initWebGpu();
 * console.log(b.adapter); // { source: "navigator.gpu", description: "…", fallback: true }
 * ```
 */
export async function initWebGpu(
  opts: { tryDawn?: boolean; matmul?: "tiled" | "blocked" } = {},
): Promise<WebGpuBackend> {
  if (acquired) return acquired;
  const matmul = opts.matmul ?? Deno.env.get("MFM_WEBGPU_MATMUL");
  if (matmul !== undefined && matmul !== "tiled" && matmul !== "blocked") {
    throw new RangeError(`webgpu backend: matmul "${matmul}" must be "tiled" or "blocked"`);
  }
  const make = async (adapter: GPUAdapter, source: string) => {
    const report = { source, ...describe(adapter) };
    const tiledMatmul = matmul === undefined ? !report.fallback : matmul === "tiled";
    return new WebGpuBackend(await adapter.requestDevice(), report, { tiledMatmul });
  };
  const tried: string[] = [];
  if (opts.tryDawn ?? Deno.env.get("MFM_WEBGPU_DAWN") !== "0") {
    try {
      const spec = "npm:webgpu@0.6.2";
      const dawn = await import(spec) as {
        create: (flags: string[]) => GPU;
        globals: Record<string, unknown>;
      };
      const adapter = await dawn.create([]).requestAdapter();
      if (adapter) {
        Object.assign(globalThis, dawn.globals); // GPUBufferUsage & co. where the runtime lacks them
        acquired = await make(adapter, "dawn");
        return acquired;
      }
      tried.push("Dawn found no adapter");
    } catch (e) {
      tried.push(`Dawn unavailable (${(e as Error).message.split("\n")[0]})`);
    }
  }
  const gpu = (navigator as unknown as { gpu?: GPU }).gpu;
  if (!gpu) {
    tried.push("navigator.gpu is missing (run Deno with --unstable-webgpu)");
  } else {
    const adapter = await gpu.requestAdapter();
    if (adapter) {
      acquired = await make(adapter, "navigator.gpu");
      return acquired;
    }
    tried.push(
      "navigator.gpu found no adapter (on Linux without a GPU: apt-get install -y mesa-vulkan-drivers)",
    );
  }
  throw new Error(`webgpu backend: no WebGPU adapter: ${tried.join("; ")}`);
}

/**
 * The acquired backend, or an error saying to call `initWebGpu()` first (acquisition is async).
 *
 * @example
 * ```ts
 * registerBackend("webgpu", acquiredWebGpu);
 * ```
 */
export function acquiredWebGpu(): WebGpuBackend {
  if (!acquired) {
    throw new Error(
      "webgpu backend: call `await initWebGpu()` before using it (device acquisition is asynchronous)",
    );
  }
  return acquired;
}
