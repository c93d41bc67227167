/**
 * The `Tensor` value: a shape, a dtype, and either a concrete buffer on a backend or a variable
 * of the graph being traced. Methods forward to the functions in `ops.ts`.
 *
 * @module
 */

import type { Backend, DeviceBuffer } from "./backend.ts";
import type { Aval, DType, HostArray, TypedArray } from "./dtype.ts";
import type { Var } from "./ir.ts";
import { fmtShape, sizeOf } from "./shape.ts";
import type { Builder } from "./trace.ts";
import * as ops from "./ops.ts";

/** A tensor with data on a backend. */
export interface ConcreteNode {
  /** Discriminant. */
  readonly kind: "concrete";
  /** The backend holding the data. */
  readonly backend: Backend;
  /** The data. */
  readonly buffer: DeviceBuffer;
}

/** A tensor that stands for a variable of a graph under construction. */
export interface TracedNode {
  /** Discriminant. */
  readonly kind: "traced";
  /** The trace recording it. */
  readonly builder: Builder;
  /** Its variable in that trace. */
  readonly v: Var;
}

/** Anything a binary op accepts on its right: a tensor or a plain number (weakly typed). */
export type TensorLike = Tensor | number;

/**
 * An n-dimensional array. Concrete tensors hold data on a backend; inside `jit`, `grad`, `jvp`
 * the same code sees traced tensors that record a graph instead.
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2], [3, 4]]);
 * const y = x.mul(2).sum();
 * y.item(); // 20
 * ```
 */
export class Tensor {
  /** @internal Use `tensor()` and the ops to make tensors. */
  constructor(readonly aval: Aval, readonly node: ConcreteNode | TracedNode) {}

  /** The shape. */
  get shape(): readonly number[] {
    return this.aval.shape;
  }
  /** The element type. */
  get dtype(): DType {
    return this.aval.dtype;
  }
  /** Number of axes. */
  get rank(): number {
    return this.aval.shape.length;
  }
  /** Number of elements. */
  get size(): number {
    return sizeOf(this.aval.shape);
  }
  /** Whether this tensor holds data (false while tracing). */
  get isConcrete(): boolean {
    return this.node.kind === "concrete";
  }

  /** The concrete node, or an error saying why a traced tensor has no value. */
  private concrete(what: string): ConcreteNode {
    if (this.node.kind !== "concrete") {
      throw new Error(
        `${what}: this tensor (${this}) is being traced and has no value yet; ` +
          `read values outside jit/grad/jvp, or return the tensor from the traced function`,
      );
    }
    return this.node;
  }

  /** Reads the data to the host (works on every backend). */
  async data(): Promise<TypedArray> {
    const n = this.concrete("data()");
    return (await n.backend.read(n.buffer)).data;
  }

  /** Reads the data synchronously (backends that can, such as `cpu`). */
  dataSync(): TypedArray {
    return this.hostSync().data;
  }

  /** The data as a host array (shape, dtype, data), synchronously. */
  hostSync(): HostArray {
    const n = this.concrete("dataSync()");
    if (!n.backend.readSync) {
      throw new Error(
        `dataSync(): backend "${n.backend.name}" reads asynchronously; use await tensor.data()`,
      );
    }
    return n.backend.readSync(n.buffer);
  }

  /** The single value of a one-element tensor, as a number. */
  item(): number {
    if (this.size !== 1) {
      throw new RangeError(
        `item(): tensor of shape ${fmtShape(this.shape)} has ${this.size} elements, expected 1`,
      );
    }
    return Number(this.dataSync()[0]);
  }

  /** The data as nested JS arrays (synchronously). */
  toArray(): unknown {
    const data = Array.from(this.dataSync(), Number);
    const build = (axis: number, offset: number): unknown => {
      if (axis === this.rank) return data[offset];
      const stride = sizeOf(this.shape.slice(axis + 1));
      return Array.from(
        { length: this.shape[axis] },
        (_, i) => build(axis + 1, offset + i * stride),
      );
    };
    return build(0, 0);
  }

  /** `dtype[shape]`, plus `(traced)` for tracers. */
  toString(): string {
    return `Tensor(${this.dtype}${fmtShape(this.shape)}${this.isConcrete ? "" : ", traced"})`;
  }

  /** Elementwise sum (broadcasting). */
  add(other: TensorLike): Tensor {
    return ops.add(this, other);
  }
  /** Elementwise difference (broadcasting). */
  sub(other: TensorLike): Tensor {
    return ops.sub(this, other);
  }
  /** Elementwise product (broadcasting). */
  mul(other: TensorLike): Tensor {
    return ops.mul(this, other);
  }
  /** Elementwise quotient (broadcasting). */
  div(other: TensorLike): Tensor {
    return ops.div(this, other);
  }
  /** Elementwise power (broadcasting). */
  pow(other: TensorLike): Tensor {
    return ops.pow(this, other);
  }
  /** Elementwise maximum (broadcasting). */
  maximum(other: TensorLike): Tensor {
    return ops.maximum(this, other);
  }
  /** Elementwise minimum (broadcasting). */
  minimum(other: TensorLike): Tensor {
    return ops.minimum(this, other);
  }
  /** this > other, as bool (broadcasting). */
  greater(other: TensorLike): Tensor {
    return ops.greater(this, other);
  }
  /** this < other, as bool (broadcasting). */
  less(other: TensorLike): Tensor {
    return ops.less(this, other);
  }
  /** Negation. */
  neg(): Tensor {
    return ops.neg(this);
  }
  /** e^x. */
  exp(): Tensor {
    return ops.exp(this);
  }
  /** Natural logarithm. */
  log(): Tensor {
    return ops.log(this);
  }
  /** Square root. */
  sqrt(): Tensor {
    return ops.sqrt(this);
  }
  /** x². */
  square(): Tensor {
    return ops.square(this);
  }
  /** Hyperbolic tangent. */
  tanh(): Tensor {
    return ops.tanh(this);
  }
  /** Sine. */
  sin(): Tensor {
    return ops.sin(this);
  }
  /** Cosine. */
  cos(): Tensor {
    return ops.cos(this);
  }
  /** Absolute value. */
  abs(): Tensor {
    return ops.abs(this);
  }
  /** Sum over axes (all by default). */
  sum(axes?: number | readonly number[], keepDims = false): Tensor {
    return ops.sum(this, axes, keepDims);
  }
  /** Mean over axes (all by default). */
  mean(axes?: number | readonly number[], keepDims = false): Tensor {
    return ops.mean(this, axes, keepDims);
  }
  /** Maximum over axes (all by default). */
  max(axes?: number | readonly number[], keepDims = false): Tensor {
    return ops.max(this, axes, keepDims);
  }
  /** Same data, new shape (one axis may be -1). */
  reshape(shape: readonly number[]): Tensor {
    return ops.reshape(this, shape);
  }
  /** Permutes axes (reverses them by default). */
  transpose(perm?: readonly number[]): Tensor {
    return ops.transpose(this, perm);
  }
  /** Broadcasts to a shape (NumPy rules). */
  broadcastTo(shape: readonly number[]): Tensor {
    return ops.broadcastTo(this, shape);
  }
  /** Matrix product with batching (NumPy `matmul` rules). */
  matmul(other: Tensor): Tensor {
    return ops.matmul(this, other);
  }
  /** Converts to another dtype. */
  cast(dtype: DType): Tensor {
    return ops.cast(this, dtype);
  }
}
