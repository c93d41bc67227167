/**
 * The `onnx` backend: every compiled graph becomes one ONNX model run by ONNX Runtime (CPU
 * execution provider by default, CUDA selectable). Buffers are ORT tensors, so parameters and
 * optimiser state stay runtime tensors between steps.
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
} from "@mfm/tensor";
import { checkOptions, executeOpCompiled, Var } from "@mfm/tensor";
import { renderOnnx } from "./lower.ts";
import {
  createSession,
  type ExecutionProvider,
  fromOrt,
  type OrtTensor,
  type Session,
  toOrt,
} from "./runtime.ts";

/** An onnx buffer: an ORT tensor. */
export class OnnxBuffer implements DeviceBuffer {
  /** Wraps an ORT tensor of known shape and dtype. */
  constructor(
    /** Shape and dtype. */
    readonly aval: Aval,
    /** The runtime tensor. */
    readonly tensor: OrtTensor,
  ) {}
}

/** A compiled graph: its ORT session and the model bytes. */
export interface OnnxExecutable extends Executable {
  /** The ORT session. */
  readonly session: Session;
  /** Graph input names, in order. */
  readonly inputNames: readonly string[];
  /** Graph output names, in order. */
  readonly outputNames: readonly string[];
  /** Shapes and dtypes of the outputs. */
  readonly outAvals: readonly Aval[];
  /** The model, for inspection and export. */
  readonly bytes: Uint8Array;
}

/** Options of the onnx backend. */
export interface OnnxBackendOptions {
  /** Backend name; default "onnx" (or "onnx-cuda"). */
  name?: string;
  /** `cpu` (default) or `cuda`. */
  executionProvider?: ExecutionProvider;
  /** Threads per operator; default: `MFM_ONNX_THREADS` if set, else the machine's cores. */
  intraOpNumThreads?: number;
  /** CUDA device; default 0. */
  deviceId?: number;
  /** ORT graph optimisation level; default "all". */
  graphOptimizationLevel?: "disabled" | "basic" | "extended" | "all";
  /** Write ORT profiles with this file prefix (one per compiled graph). */
  profileFilePrefix?: string;
  /**
   * ORT's CPU memory arena (default true): fast reuse, but each compiled graph keeps its peak
   * memory for life; false returns memory after every run (for jobs that compile many big graphs).
   */
  memoryArena?: boolean;
  /** Lower conv input cotangents to ConvTranspose (default true; see `LowerOptions`). */
  convTranspose?: boolean;
  /** Lower small-output convs (kernel cotangents) to window slices + Gemm (default true). */
  convWindows?: boolean;
}

const OPTION_KEYS = [
  "name",
  "executionProvider",
  "intraOpNumThreads",
  "deviceId",
  "graphOptimizationLevel",
  "profileFilePrefix",
  "memoryArena",
  "convTranspose",
  "convWindows",
];

/** `MFM_ONNX_THREADS` (e.g. to run two jobs side by side on one core each), checked. */
function envThreads(): number | undefined {
  let raw: string | undefined;
  try {
    raw = Deno.env.get("MFM_ONNX_THREADS");
  } catch {
    return undefined; // no env permission: the default applies
  }
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`OnnxBackend: MFM_ONNX_THREADS "${raw}" must be a positive integer`);
  }
  return n;
}

function buf(b: DeviceBuffer): OnnxBuffer {
  if (!(b instanceof OnnxBuffer)) {
    throw new TypeError("onnx backend: got a buffer of another backend");
  }
  return b;
}

const CUDA_HELP =
  "The CUDA execution provider needs onnxruntime-node's CUDA 12 provider libraries " +
  "(libonnxruntime_providers_cuda.so and libonnxruntime_providers_shared.so, from the " +
  "Microsoft.ML.OnnxRuntime.Gpu.Linux package of the same version) in onnxruntime-node's " +
  "bin/napi-v6/linux/x64 folder, plus CUDA 12 and cuDNN 9 on the library path. Its install script " +
  "fetches them: run `ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js` " +
  'in a project with a node_modules folder (Deno: "nodeModulesDir": "auto") on a machine that can reach NuGet.';

/**
 * The ONNX Runtime backend.
 *
 * @example
 * ```ts
 * registerBackend("onnx-2t", () => new OnnxBackend({ name: "onnx-2t", intraOpNumThreads: 2 }));
 * ```
 */
export class OnnxBackend implements Backend {
  readonly name: string;
  /** Session settings every compiled graph uses. */
  readonly settings: {
    executionProvider: ExecutionProvider;
    intraOpNumThreads: number;
    deviceId?: number;
    graphOptimizationLevel?: "disabled" | "basic" | "extended" | "all";
    profileFilePrefix?: string;
    memoryArena?: boolean;
    convTranspose?: boolean;
    convWindows?: boolean;
  };
  private readonly opCache = new Map<string, Executable>();
  private readonly profiled: Session[] = [];

  /** Creates the backend; with `cuda`, checks the provider loads and fails here if it cannot. */
  constructor(opts: OnnxBackendOptions = {}) {
    checkOptions(opts, OPTION_KEYS, "OnnxBackend");
    const ep = opts.executionProvider ?? "cpu";
    if (ep !== "cpu" && ep !== "cuda") {
      throw new RangeError(`OnnxBackend: executionProvider "${ep}" is not one of cpu, cuda`);
    }
    const threads = opts.intraOpNumThreads ?? envThreads() ?? navigator.hardwareConcurrency ?? 1;
    if (!Number.isInteger(threads) || threads < 1) {
      throw new RangeError(`OnnxBackend: intraOpNumThreads ${threads} must be a positive integer`);
    }
    this.name = opts.name ?? (ep === "cuda" ? "onnx-cuda" : "onnx");
    this.settings = {
      executionProvider: ep,
      intraOpNumThreads: threads,
      deviceId: opts.deviceId,
      graphOptimizationLevel: opts.graphOptimizationLevel,
      profileFilePrefix: opts.profileFilePrefix,
      memoryArena: opts.memoryArena,
      convTranspose: opts.convTranspose,
      convWindows: opts.convWindows,
    };
    if (ep === "cuda") this.checkCuda();
  }

  /** Runs a one-node graph on the CUDA provider; fails with install instructions if it cannot. */
  private checkCuda(): void {
    try {
      const x = new Var(0, { shape: [1], dtype: "float32" });
      const exe = this.compile({ inputs: [x], consts: [], eqns: [], outputs: [x] });
      this.execute(exe, [this.upload({ shape: [1], dtype: "float32", data: new Float32Array(1) })]);
    } catch (e) {
      throw new Error(
        `onnx backend: the CUDA execution provider is not available (${
          (e as Error).message
        }). ${CUDA_HELP}`,
      );
    }
  }

  /**
   * With `profileFilePrefix`: ends profiling of every session compiled so far, so ORT writes its
   * JSON profiles (`<prefix>_<date>.json`, one per compiled graph).
   */
  endProfiling(): void {
    for (const s of this.profiled.splice(0)) s.endProfiling();
  }

  upload(h: HostArray): DeviceBuffer {
    return new OnnxBuffer({ shape: [...h.shape], dtype: h.dtype }, toOrt(h));
  }

  read(b: DeviceBuffer): Promise<HostArray> {
    return Promise.resolve(this.readSync(b));
  }

  readSync(b: DeviceBuffer): HostArray {
    const ob = buf(b);
    return fromOrt(ob.tensor, ob.aval.dtype);
  }

  executeOp<P extends Prim>(
    prim: P,
    params: PrimParams[P],
    inputs: readonly DeviceBuffer[],
    out: Aval,
  ): DeviceBuffer {
    return executeOpCompiled(this, this.opCache, prim, params, inputs, out);
  }

  compile(graph: Graph<DeviceBuffer>): OnnxExecutable {
    const host: Graph<HostArray> = {
      ...graph,
      consts: graph.consts.map((c) => ({ v: c.v, value: this.readSync(c.value) })),
    };
    const bytes = renderOnnx(host, {
      convTranspose: this.settings.convTranspose,
      convWindows: this.settings.convWindows,
    });
    let session: Session;
    try {
      session = createSession(bytes, this.settings);
    } catch (e) {
      throw new Error(
        `onnx backend: ONNX Runtime rejected the compiled graph: ${(e as Error).message}`,
      );
    }
    if (this.settings.profileFilePrefix) this.profiled.push(session);
    const exe: OnnxExecutable = {
      session,
      bytes,
      inputNames: graph.inputs.map((_, i) => `in${i}`),
      outputNames: graph.outputs.map((_, i) => `out${i}`),
      outAvals: graph.outputs.map((v) => v.aval),
      numInputs: graph.inputs.length,
      numOutputs: graph.outputs.length,
    };
    return exe;
  }

  execute(exe: Executable, inputs: readonly DeviceBuffer[]): DeviceBuffer[] {
    const x = exe as OnnxExecutable;
    if (inputs.length !== x.inputNames.length) {
      throw new RangeError(
        `onnx execute: expected ${x.inputNames.length} inputs, got ${inputs.length}`,
      );
    }
    const feeds: Record<string, OrtTensor> = {};
    inputs.forEach((b, i) => (feeds[x.inputNames[i]] = buf(b).tensor));
    const outs = x.session.run(feeds, x.outputNames);
    return outs.map((t, i) => new OnnxBuffer(x.outAvals[i], t));
  }
}

/**
 * The ONNX model a compiled executable runs (for inspection).
 *
 * @example
 * ```ts
 * const bytes = onnxBytes(exe);
 * ```
 */
export function onnxBytes(exe: Executable): Uint8Array {
  const b = (exe as OnnxExecutable).bytes;
  if (!b) throw new TypeError("onnxBytes: not an onnx executable");
  return b;
}
