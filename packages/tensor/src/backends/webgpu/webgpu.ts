/**
 * WebGPU backend (float32, Dawn through the `webgpu` package) running the handwritten kernels in `kernels/`.
 *
 * The work is split (see DESIGN.md, "WebGPU host side"): adapter.ts gets the device; queue.ts records and
 * submits (encoder, uniform ring, bind groups, staging, flush rules); kernels/*.ts declare each WGSL kernel
 * once (file and entry, bindings, uniform fields with their byte layout, workgroup grid, variant choice) and
 * plan its dispatches; programs.ts compiles and caches pipelines. The op methods here check limits, take
 * temporaries where an output aliases an input, and hand a plan to the queue.
 *
 * Every buffer comes from the device's allocator: tensor storage through createRaw, the backend's own
 * (uniform ring, readback staging, temporaries, scratch) through `allocInternal` under the label `internal`.
 * Buffers beyond the adapter's limits throw DeviceLimitError before anything is allocated; grids beyond
 * 65535 workgroups are split; views of any rank are iterated. Device failures throw DeviceError, use after
 * destroy DeviceDestroyedError.
 */
import type { Backend, BackendCounters, BinaryOp, BufferKind, KernelTiming, LinearActivation, ReduceOp, UnaryOp, View } from '../backend.js';
import { GpuTimer } from './timing.js';
import { DeviceError, DeviceLimitError } from '../../errors.js';
import { Allocator, type Block } from '../../memory/allocator.js';
import { ProgramCache } from './programs.js';
import { acquireDevice, SOFTWARE_ADAPTER, type AcquiredDevice, type WebGpuOptions } from './adapter.js';
import { GpuQueue } from './queue.js';
import { product, type Dispatch, type KernelStyle, type Limits } from './kernels/kernel.js';
import { binaryPlan, fillPlan, unaryPlan, wherePlan } from './kernels/elementwise.js';
import { reducePlan } from './kernels/reduce.js';
import { matmulPlan } from './kernels/matmul.js';
import { copyPlan } from './kernels/copy.js';
import { activationGradPlan, linearPlan, linearWeightGradPlan } from './kernels/linear.js';
import { combineDispatches, combineTermsPlan } from './kernels/combine.js';
import { errorParts, PARTIALS_BYTES, rkCombineDispatches, rkCombinePlan, rkErrorPlan } from './kernels/rk.js';

export { NO_ADAPTER_MESSAGE } from './adapter.js';
export type { KernelStyle } from './kernels/kernel.js';

// GPUBufferUsage bits (numeric so nothing depends on globals being installed first).
const USAGE: Record<Exclude<BufferKind, 'wasm'>, number> = {
  storage: 0x80 | 0x4 | 0x8, // STORAGE | COPY_SRC | COPY_DST
  staging: 0x1 | 0x8, // MAP_READ | COPY_DST
  uniform: 0x40 | 0x8, // UNIFORM | COPY_DST
  query: 0x200 | 0x4, // QUERY_RESOLVE | COPY_SRC
};

/** Options of the webgpu backend: the WebGPU objects to use (see adapter.ts) and the kernel variants. */
export interface WebGpuBackendOptions extends WebGpuOptions {
  /** Kernel variants: 'gpu' or 'cpu' (see {@link WebGpuBackend.kernelStyle}); default chosen from the adapter. */
  kernelStyle?: KernelStyle;
  /**
   * Caps below the device's own limits (tests use them to exercise grid splitting and limit errors at small
   * sizes). Values above the device's limits are ignored.
   */
  limits?: {
    maxComputeWorkgroupsPerDimension?: number;
    maxStorageBufferBindingSize?: number;
    /** Live bind groups past which a dispatch throws DeviceLimitError (lavapipe: 50 000; elsewhere none). */
    liveBindGroups?: number;
  };
}

/**
 * Creates the backend on the user's device, adapter or GPU object, or on the first adapter found. Throws
 * DeviceUnavailableError (NO_ADAPTER_MESSAGE) when there is none, or when Dawn itself cannot be loaded.
 */
export async function createWebGpuBackend(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
  return new WebGpuBackend(await acquireDevice(options), options.kernelStyle, options.limits);
}

/** Live bind groups allowed on lavapipe: well under its crash near 60 000, far above what relief leaves. */
const LAVAPIPE_LIVE_BIND_GROUPS = 50_000;

const MiB = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

export class WebGpuBackend implements Backend<GPUBuffer> {
  readonly kind = 'webgpu' as const;
  readonly dtype = 'float32' as const;
  readonly elementBytes = 4;
  readonly counters: BackendCounters = {
    dispatches: 0, submits: 0, readbacks: 0, bindGroups: 0, liveBindGroups: 0, peakLiveBindGroups: 0, wasmCalls: 0, wasmCopyBytes: 0, wasmCopyMs: 0,
  };
  readonly programs: ProgramCache;
  /**
   * Kernel choice where GPUs and CPU adapters (lavapipe, SwiftShader) disagree. 'gpu': matmul by 64x64
   * workgroup-memory tiles (or the thin-output path), reductions of long rows by one workgroup tree per output.
   * 'cpu': matmul by 8-thread workgroups of 8x8 register blocks and reductions by one looping thread per output
   * (2-10x faster on lavapipe, where a workgroup is one SIMD batch on one core). Same results either way.
   * Chosen from the adapter unless the `kernelStyle` option says; tests switch it to cover both.
   */
  kernelStyle: KernelStyle;
  /** A software adapter (lavapipe, SwiftShader): correct, but slower than the cpu backend for small models. */
  readonly emulated: boolean;
  readonly device: GPUDevice;
  readonly description: string;
  /** The limits kernels plan with. */
  readonly limits: Limits;
  /** Bytes one storage buffer may hold: min(maxStorageBufferBindingSize, maxBufferSize). */
  readonly maxBufferBytes: number;

  private readonly queue: GpuQueue;
  private allocator: Allocator | null = null;
  /** Whether sympode created the GPUDevice (a device handed in by the user is not destroyed with the backend). */
  private readonly owned: boolean;
  /** Held only to keep the GPU object reachable while the device lives (Dawn releases its instance otherwise). */
  readonly gpu: GPU | undefined;

  constructor(acquired: AcquiredDevice, kernelStyle?: KernelStyle, caps: WebGpuBackendOptions['limits'] = {}) {
    const { device } = acquired;
    this.device = device;
    this.gpu = acquired.gpu;
    this.owned = acquired.owned;
    this.description = `webgpu: ${acquired.description}`;
    this.programs = new ProgramCache(device);
    this.emulated = SOFTWARE_ADAPTER.test(this.description);
    this.kernelStyle = kernelStyle ?? (this.emulated ? 'cpu' : 'gpu');
    const lim = device.limits;
    this.limits = { maxGroups: Math.min(lim.maxComputeWorkgroupsPerDimension, caps.maxComputeWorkgroupsPerDimension ?? Infinity) };
    this.maxBufferBytes = Math.min(lim.maxStorageBufferBindingSize, lim.maxBufferSize, caps.maxStorageBufferBindingSize ?? Infinity);
    // lavapipe maps a page per descriptor set and dies at vm.max_map_count (65 530 maps, the process's own included).
    const liveLimit = Math.min(caps.liveBindGroups ?? Infinity, /llvmpipe/i.test(this.description) ? LAVAPIPE_LIVE_BIND_GROUPS : Infinity);
    this.queue = new GpuQueue(device, this.programs, this.counters, () => this.internalAllocator(), liveLimit);
    device.addEventListener('uncapturederror', this.onDeviceError);
    void device.lost.then((info) => {
      if (!this.queue.destroyed) this.queue.error ??= new DeviceError(`sympode webgpu: device lost (${info.reason}): ${info.message}`);
    });
  }

  private readonly onDeviceError = (ev: Event): void => {
    const err = (ev as GPUUncapturedErrorEvent).error;
    this.queue.error ??= new DeviceError(`sympode webgpu: device error: ${err.message}`);
  };

  attachAllocator(allocator: Allocator): void {
    this.allocator = allocator;
    if (!this.queue.destroyed) this.queue.attach(allocator);
  }

  /** Times each kernel on the GPU (timestamp queries) until `stopKernelTiming`; false without the feature. */
  startKernelTiming(): boolean {
    if (!this.device.features.has('timestamp-query')) return false;
    return this.queue.startTiming(new GpuTimer(this.device, this.internalAllocator()));
  }

  /** GPU milliseconds per kernel since `startKernelTiming` (empty when it was not started). */
  async stopKernelTiming(): Promise<KernelTiming[]> {
    return (await this.queue.stopTiming()?.finish()) ?? [];
  }

  /** The device's allocator; a backend used on its own (tests) gets a private one. */
  private internalAllocator(): Allocator {
    if (!this.allocator) new Allocator(this); // attaches itself
    return this.allocator!;
  }

  allocationSize(bytes: number): number {
    return Math.max(4, Math.ceil(bytes / 4) * 4);
  }

  createRaw(allocBytes: number, kind: BufferKind = 'storage'): GPUBuffer {
    this.queue.check();
    const size = this.allocationSize(allocBytes);
    const limit = kind === 'storage' ? this.maxBufferBytes : this.device.limits.maxBufferSize;
    if (size > limit) {
      throw new DeviceLimitError(
        `sympode webgpu: a buffer of ${size} bytes (${MiB(size)}, ${size / 4} float32 elements) exceeds the adapter's ` +
          `limit of ${limit} bytes (${MiB(limit)}: min of maxStorageBufferBindingSize and maxBufferSize); nothing was ` +
          'allocated. Split the work into smaller batches or chunks, or use a device with larger limits (or the cpu backend).',
      );
    }
    if (kind === 'wasm') throw new Error("internal: the webgpu backend has no 'wasm' buffers");
    return this.device.createBuffer({ size, usage: USAGE[kind] });
  }

  destroyRaw(raw: GPUBuffer): void {
    this.queue.destroyRaw(raw);
  }

  write(dst: GPUBuffer, data: ArrayLike<number>, offset: number): void {
    this.queue.write(dst, data, offset);
  }

  read(src: GPUBuffer, offset: number, size: number): Promise<Float32Array> {
    return this.queue.read(src, offset, size);
  }

  fill(out: GPUBuffer, value: number, size: number): void {
    if (size > 0) this.queue.run(fillPlan(out, value, size, this.limits));
  }

  unary(op: UnaryOp, x: GPUBuffer, out: GPUBuffer, size: number, alpha = 0): void {
    if (size === 0) return;
    this.withOut(out, [x], size, (target) => unaryPlan(op, x, target, size, alpha, this.limits));
  }

  binary(op: BinaryOp, a: GPUBuffer, av: View, b: GPUBuffer, bv: View, out: GPUBuffer, shape: readonly number[]): void {
    const size = product(shape);
    if (size === 0) return;
    this.withOut(out, [a, b], size, (target) => binaryPlan(op, [target, a, b], [av, bv], shape, this.limits));
  }

  where(cond: GPUBuffer, cv: View, a: GPUBuffer, av: View, b: GPUBuffer, bv: View, out: GPUBuffer, shape: readonly number[]): void {
    const size = product(shape);
    if (size === 0) return;
    this.withOut(out, [cond, a, b], size, (target) => wherePlan([target, cond, a, b], [cv, av, bv], shape, this.limits));
  }

  reduce(op: ReduceOp, x: GPUBuffer, out: GPUBuffer, outer: number, n: number, inner: number): void {
    const total = outer * inner;
    if (total === 0) return;
    this.withOut(out, [x], total, (target) => reducePlan(op, x, target, outer, n, inner, this.kernelStyle, this.limits));
  }

  matmul(
    a: GPUBuffer, b: GPUBuffer, out: GPUBuffer,
    batch: number, m: number, n: number, k: number,
    transA: boolean, transB: boolean,
    aBatchStride: number, bBatchStride: number,
  ): void {
    const total = batch * m * n;
    if (total === 0) return;
    const shape = { batch, m, n, k, transA, transB, aBatchStride, bBatchStride };
    this.withOut(out, [a, b], total, (target) => matmulPlan([target, a, b], shape, this.kernelStyle, this.limits));
  }

  linear(x: GPUBuffer, w: GPUBuffer, b: GPUBuffer | null, out: GPUBuffer, m: number, n: number, k: number, act: LinearActivation): void {
    if (m * n === 0) return;
    this.withOut(out, b ? [x, w, b] : [x, w], m * n, (target) => linearPlan(target, x, w, b, m, n, k, act, this.kernelStyle, this.limits));
  }

  activationGrad(g: GPUBuffer, y: GPUBuffer, out: GPUBuffer, size: number, act: LinearActivation): void {
    if (size === 0) return;
    this.withOut(out, [g, y], size, (target) => activationGradPlan(target, g, y, size, act, this.limits));
  }

  linearWeightGrad(gz: GPUBuffer, x: GPUBuffer, gw: GPUBuffer, gb: GPUBuffer | null, m: number, n: number, k: number): void {
    if (n * k === 0) return;
    // The bias binding needs a writable buffer other than gw even when no bias gradient is asked for.
    const scratch = gb ? null : this.queue.temp(4, 'wgrad scratch');
    try {
      this.queue.run(linearWeightGradPlan(gw, gb, (scratch?.raw as GPUBuffer | undefined) ?? gw, gz, x, m, n, k, this.kernelStyle, this.limits));
    } finally {
      if (scratch) this.queue.release(scratch);
    }
  }

  copy(src: GPUBuffer, sv: View, dst: GPUBuffer, dv: View, shape: readonly number[]): void {
    if (product(shape) === 0) return;
    if (src !== dst) {
      this.queue.run(copyPlan(src, sv, dst, dv, shape, this.limits));
      return;
    }
    // A buffer cannot be bound read-only and writable in one dispatch: read from a snapshot.
    const snap = this.queue.temp(src.size, 'self-copy snapshot');
    this.queue.copy(src, 0, snap.raw as GPUBuffer, 0, src.size);
    this.queue.run(copyPlan(snap.raw as GPUBuffer, sv, dst, dv, shape, this.limits));
    this.queue.release(snap);
  }

  rkCombine(y: GPUBuffer, stages: GPUBuffer, coeffs: readonly number[], h: number, out: GPUBuffer, n: number): void {
    if (n === 0) return;
    this.withOut(out, [y, stages], n, (target) => rkCombinePlan(y, stages, coeffs, h, target, n, this.limits));
  }

  combineTerms(base: GPUBuffer, terms: readonly GPUBuffer[], coeffs: readonly number[], h: number, out: GPUBuffer, n: number): void {
    if (n === 0) return;
    // Past 6 terms the chained dispatches ping-pong between out and one temporary.
    const tmp: Block | null = combineDispatches(coeffs) > 1 ? this.queue.temp(n * 4, 'combine partial') : null;
    try {
      this.withOut(out, [base, ...terms], n, (target) =>
        combineTermsPlan(base, terms, coeffs, h, target, (tmp?.raw as GPUBuffer | undefined) ?? null, n, this.limits),
      );
    } finally {
      if (tmp) this.queue.release(tmp);
    }
  }

  rkErrorRatio(
    y0: GPUBuffer, y1: GPUBuffer, stages: GPUBuffer, e: readonly number[], h: number,
    rtol: number, atol: number, out: GPUBuffer, n: number,
  ): void {
    if (n === 0) {
      // The reference's sqrt(0 / 0).
      this.fill(out, NaN, 1);
      return;
    }
    const partials: Block | null = errorParts(n, this.limits) > 1 ? this.queue.temp(PARTIALS_BYTES, 'rk partials') : null;
    // Past 16 nonzero coefficients the error estimate is combined into a scratch state first (through the allocator).
    const err: Block | null = rkCombineDispatches(e) > 1 ? this.queue.temp(n * 4, 'rk error estimate') : null;
    try {
      this.withOut(out, [y0, y1, stages], 1, (target) =>
        rkErrorPlan(
          y0, y1, stages, e, h, rtol, atol, target, n, (partials?.raw as GPUBuffer | undefined) ?? null, this.limits,
          (err?.raw as GPUBuffer | undefined) ?? null,
        ),
      );
    } finally {
      if (err) this.queue.release(err);
      if (partials) this.queue.release(partials);
    }
  }

  flush(): void {
    this.queue.flush();
  }

  relief(): Promise<void> | null {
    return this.queue.relief();
  }

  /** Resolves when every pipeline made so far compiled and all submitted work finished; throws any error. */
  sync(): Promise<void> {
    return this.queue.sync();
  }

  destroy(): void {
    if (this.queue.destroyed) return;
    this.queue.flush();
    this.allocator?.emptyCache();
    this.queue.close();
    this.device.removeEventListener('uncapturederror', this.onDeviceError);
    if (this.owned) this.device.destroy();
  }

  /**
   * Records the plan for the buffer the kernels should write: `out` itself, or, when `out` is also one of the
   * inputs (the contract forbids it, but a wrong result would be silent), a temporary copied into `out`.
   */
  private withOut(out: GPUBuffer, inputs: readonly GPUBuffer[], elements: number, plan: (target: GPUBuffer) => Dispatch[]): void {
    if (!inputs.includes(out)) {
      this.queue.run(plan(out));
      return;
    }
    const tmp = this.queue.temp(elements * 4);
    try {
      this.queue.run(plan(tmp.raw as GPUBuffer));
      this.queue.copy(tmp.raw as GPUBuffer, 0, out, 0, elements * 4);
    } finally {
      this.queue.release(tmp);
    }
  }
}
