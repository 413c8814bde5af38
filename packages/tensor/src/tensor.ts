/**
 * Tensor: a shape, a reference to a Storage, and (when it requires grad) a graph Node. Every method is a
 * thin call into `ops/`, where the forward kernel and the backward (written with Tensor ops) live.
 */
import './disposable.js';
import type { Device } from './device.js';
import { DisposedTensorError, InvalidArgumentError, ShapeError } from './errors.js';
import { backward as runBackward, isGradEnabled, type GradOptions } from './autograd.js';
import type { TidyScope } from './context.js';
import { Node } from './graph.js';
import { Storage } from './storage.js';
import { fmt, sizeOf, type Shape } from './shape.js';
import * as ew from './ops/elementwise.js';
import * as red from './ops/reduce.js';
import * as mm from './ops/matmul.js';
import * as mv from './ops/movement.js';

let nextTensorId = 1;

/** A tensor, or a number broadcast as a scalar. */
export type Operand = Tensor | number;

/** What `Tensor.array()` gives: a number, or arrays nested as deep as the tensor's rank. */
export type NestedNumbers = number | NestedNumbers[];

/**
 * An n-dimensional array on a device, with reverse-mode autograd: ops on tensors that require grad record a
 * graph that `grad`/`backward` differentiate. Free it with `dispose()` or inside `device.tidy`.
 */
export class Tensor {
  readonly id = nextTensorId++;
  readonly size: number;
  /** Gradient accumulated by `backward()` (leaves that require grad). */
  grad: Tensor | null = null;
  private node: Node | null = null;
  private storageRef: Storage | null;
  private reqGrad = false;
  /** @internal Kept tensors survive the `tidy` that created them. */
  _kept = false;
  /** @internal The tidy scope that will dispose this tensor (null: none). */
  _scope: TidyScope | null = null;

  /** Tensors come from a device's factories (`device.tensor`, `zeros`, ...) and from ops. */
  private constructor(
    readonly device: Device,
    storage: Storage,
    readonly shape: readonly number[],
  ) {
    this.size = sizeOf(shape);
    if (storage.size !== this.size) throw new Error(`internal: storage of ${storage.size} for shape ${fmt(shape)}`);
    this.storageRef = storage;
    device._track(this);
  }

  /** @internal A new handle on a storage (the caller passes a reference it owns). */
  static _fromStorage(device: Device, storage: Storage, shape: Shape): Tensor {
    return new Tensor(device, storage, shape);
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.storageRef === null;
  }

  /** Whether gradients flow to this tensor. Setting it on a leaf makes it a differentiable input. */
  get requiresGrad(): boolean {
    return this.reqGrad;
  }
  set requiresGrad(v: boolean) {
    this._check();
    if (v === this.reqGrad) return;
    if (this.node && !this.node.isLeaf) {
      throw new InvalidArgumentError('requiresGrad can only be changed on leaf tensors (use detach())');
    }
    this.reqGrad = v;
    this.node?.decref();
    this.node = v ? new Node('leaf', [], null, [], this) : null;
  }

  /** True for tensors not produced by a recorded op. */
  get isLeaf(): boolean {
    return !this.node || this.node.isLeaf;
  }

  /** @internal */
  get _node(): Node | null {
    return this.node;
  }
  /** @internal The node gradients flow into (null when this tensor does not require grad). */
  _gradNode(): Node | null {
    return this.reqGrad ? this.node : null;
  }
  /** @internal */
  _setNode(node: Node): void {
    this.node?.decref();
    this.node = node;
    this.reqGrad = true;
  }

  /** @internal Shares `node` (e.g. a saved tensor rewrapped for a createGraph backward). */
  _attachNode(node: Node): void {
    node.incref();
    this.node?.decref();
    this.node = node;
    this.reqGrad = true;
  }

  /** @internal Throws if disposed. */
  _check(): void {
    if (this.storageRef === null) {
      throw new DisposedTensorError(`tensor #${this.id} (shape ${fmt(this.shape)}) was used after it was disposed`);
    }
    this.device._checkAlive();
  }
  /** @internal */
  get _storage(): Storage {
    this._check();
    return this.storageRef!;
  }
  /** @internal The backend buffer. */
  get _raw(): unknown {
    return this._storage.raw;
  }

  /** @internal Another handle on the same storage and graph node (no copy). */
  _alias(shape: Shape = this.shape): Tensor {
    const t = new Tensor(this.device, this._storage.retain(), shape);
    if (this.node) {
      this.node.incref();
      t.node = this.node;
      t.reqGrad = this.reqGrad;
    }
    return t;
  }

  /** `using t = …`: disposes the tensor when the block ends (see {@link Tensor.dispose}). */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Frees this handle now. Its storage returns to the allocator once no handle or saved graph uses it. */
  dispose(): void {
    if (this.storageRef === null) return;
    const s = this.storageRef;
    this.storageRef = null;
    this.node?.decref();
    this.node = null;
    if (this.grad instanceof Tensor) this.grad.dispose(); // a user may have set .grad to anything
    this.grad = null;
    this.device._untrack(this);
    s.release();
  }

  /** Copies the elements to the host (a Float32Array on webgpu, Float64Array on the float64 cpu backend). */
  async data(): Promise<Float32Array | Float64Array> {
    const s = this._storage;
    return this.device.backend.read(s.raw, 0, this.size);
  }

  /** Nested arrays, like the input of `device.tensor` (a number for a rank-0 tensor; depth = rank). */
  async array(): Promise<NestedNumbers> {
    const d = Array.from(await this.data());
    const build = (dim: number, off: number): NestedNumbers => {
      if (dim === this.shape.length) return d[off];
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, off + i * stride));
    };
    return build(0, 0);
  }

  /** The value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new ShapeError(`item() needs a one-element tensor, got shape ${fmt(this.shape)}`);
    return (await this.data())[0];
  }

  /** Accumulates into `.grad` (see `backward`). Pass `retainGraph` to backward twice through the same graph. */
  async backward(opts: Omit<GradOptions, 'createGraph' | 'stopAtInputs' | 'allowUnused'> = {}): Promise<void> {
    await runBackward(this, opts);
  }

  /** @internal Adds `g` (whose handle this takes) into `.grad`, kept outside any tidy and labelled 'gradients'. */
  _accumulateGrad(g: Tensor): void {
    let next = g;
    if (this.grad) {
      next = this.device.noGrad(() => this.grad!.add(g));
      g.dispose();
      this.grad.dispose();
    }
    this.device.keep(next);
    this.device.memory.relabel(next, 'gradients');
    this.grad = next;
  }

  /** A tensor sharing this storage, cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.device, this._storage.retain(), this.shape);
  }

  /** Whether ops on this tensor record a graph right now. */
  get recordsGraph(): boolean {
    return this.reqGrad && isGradEnabled();
  }

  // ---- element-wise ----
  add(o: Operand): Tensor { return ew.add(this, o); }
  sub(o: Operand): Tensor { return ew.sub(this, o); }
  mul(o: Operand): Tensor { return ew.mul(this, o); }
  div(o: Operand): Tensor { return ew.div(this, o); }
  /** Scalar power x^p. */
  pow(p: number): Tensor { return ew.powScalar(this, p); }
  neg(): Tensor { return ew.unary('neg', this); }
  exp(): Tensor { return ew.unary('exp', this); }
  log(): Tensor { return ew.unary('log', this); }
  tanh(): Tensor { return ew.unary('tanh', this); }
  sigmoid(): Tensor { return ew.unary('sigmoid', this); }
  softplus(): Tensor { return ew.unary('softplus', this); }
  relu(): Tensor { return ew.unary('relu', this); }
  sin(): Tensor { return ew.unary('sin', this); }
  cos(): Tensor { return ew.unary('cos', this); }
  square(): Tensor { return ew.unary('square', this); }
  sqrt(): Tensor { return ew.unary('sqrt', this); }
  abs(): Tensor { return ew.unary('abs', this); }
  sign(): Tensor { return ew.unary('sign', this); }
  /** Element-wise maximum with a tensor or scalar. */
  maximum(o: Operand): Tensor { return ew.maximum(this, o); }
  /** Element-wise minimum with a tensor or scalar. */
  minimum(o: Operand): Tensor { return ew.minimum(this, o); }
  // comparisons: masks of 1 and 0, not differentiable
  lt(o: Operand): Tensor { return ew.compare('lt', this, o); }
  le(o: Operand): Tensor { return ew.compare('le', this, o); }
  gt(o: Operand): Tensor { return ew.compare('gt', this, o); }
  ge(o: Operand): Tensor { return ew.compare('ge', this, o); }
  eq(o: Operand): Tensor { return ew.compare('eq', this, o); }
  ne(o: Operand): Tensor { return ew.compare('ne', this, o); }
  /** this where cond != 0, else `other`. */
  where(cond: Tensor, other: Operand): Tensor { return ew.where(cond, this, other); }

  // ---- reductions ----
  /** Sum over `axis` (number, list, or all when omitted). */
  sum(axis?: number | readonly number[], keepdims = false): Tensor { return red.sum(this, axis, keepdims); }
  mean(axis?: number | readonly number[], keepdims = false): Tensor { return red.mean(this, axis, keepdims); }
  max(axis?: number | readonly number[], keepdims = false): Tensor { return red.max(this, axis, keepdims); }

  // ---- linear algebra ----
  /** 2-D or batched 3-D matrix product (a 2-D operand broadcasts over the other's batch). */
  matmul(o: Tensor): Tensor { return mm.matmul(this, o); }

  // ---- movement ----
  reshape(shape: readonly number[]): Tensor { return mv.reshape(this, shape); }
  /** Permutes axes (default: reverse them). */
  transpose(perm?: readonly number[]): Tensor { return mv.transpose(this, perm); }
  broadcastTo(shape: readonly number[]): Tensor { return mv.broadcastTo(this, shape); }
  expand(shape: readonly number[]): Tensor { return mv.broadcastTo(this, shape); }
  /** `length` elements along `axis` starting at `start`. */
  narrow(axis: number, start: number, length: number): Tensor { return mv.narrow(this, axis, start, length); }
  /** Python-like slice per axis: [start, end) pairs; omitted axes are kept whole. */
  slice(ranges: readonly (readonly [number, number] | null)[]): Tensor { return mv.slice(this, ranges); }
  /** Sums broadcast dimensions away so the result has `shape` (undoes broadcasting). */
  sumTo(shape: readonly number[]): Tensor { return mv.sumTo(this, shape); }
  /** A contiguous copy. */
  clone(): Tensor { return mv.clone(this); }

  toString(): string {
    const state = this.isDisposed ? ', disposed' : this.device.destroyed ? ', device destroyed' : '';
    return `Tensor#${this.id}(shape ${fmt(this.shape)}${state})`;
  }
}
