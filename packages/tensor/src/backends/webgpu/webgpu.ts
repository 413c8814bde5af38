/**
 * WebGPU backend (float32, Dawn through the `webgpu` package) running the handwritten kernels in `kernels/`.
 *
 * Host-side rules (see DESIGN.md, "WebGPU host side"):
 * - One open command encoder; every kernel is a dispatch recorded into one open compute pass. The encoder is
 *   submitted every FLUSH_EVERY dispatches, before any read, and before any `write()` (queue.writeBuffer runs on
 *   the queue timeline ahead of unsubmitted commands, so earlier recorded commands must go first).
 * - Per-dispatch parameters go into 256-byte slots of one uniform ring: a host-side mirror is filled while
 *   recording and uploaded with one writeBuffer just before the submit. The ring buffer is reused after every
 *   submit: queue order guarantees the previous submission read its old contents.
 * - `destroyRaw` of a buffer while commands are recorded defers the destroy until after the next submit
 *   (Dawn itself keeps submitted-but-running work safe).
 * - Pipelines are cached per kernel variant (programs.ts); bind groups are cached by (layout, ring slot, buffers)
 *   because creating one costs more than a small dispatch on lavapipe.
 */
import type { Backend, BackendCounters, BinaryOp, ReduceOp, UnaryOp, View } from '../backend.js';
import { DeviceUnavailableError } from '../../errors.js';
import { ProgramCache, type Binding, type Program } from './programs.js';
import { acquireDevice, SOFTWARE_ADAPTER, type AcquiredDevice, type WebGpuOptions } from './adapter.js';

export { NO_ADAPTER_MESSAGE } from './adapter.js';

// GPUBufferUsage / GPUMapMode bits (numeric so nothing depends on globals being installed first).
const U_MAP_READ = 0x1;
const U_COPY_SRC = 0x4;
const U_COPY_DST = 0x8;
const U_UNIFORM = 0x40;
const U_STORAGE = 0x80;
const MAP_READ = 0x1;

const FLUSH_EVERY = 16;
const SLOT_BYTES = 256;
const RING_SLOTS = 64;
const WG = 256;
const MAX_RANK = 8;
const MAX_STAGES = 16;
const THIN = 16;

const UNARY: Record<UnaryOp, string> = {
  neg: '-x',
  exp: 'exp(x)',
  log: 'flog(x)',
  tanh: 'ftanh(x)',
  sigmoid: 'fsigmoid(x)',
  softplus: 'fsoftplus(x)',
  relu: 'select(0.0, x, x > 0.0 && !isnan_(x))',
  sin: 'sin(x)',
  cos: 'cos(x)',
  square: 'x * x',
  sqrt: 'sqrt(x)',
  abs: 'abs(x)',
  sign: 'fsign(x)',
  step: 'select(0.0, 1.0, x > 0.0 && !isnan_(x))',
  recip: '1.0 / x',
  adds: 'x + a',
  muls: 'x * a',
  rsubs: 'a - x',
  rdivs: 'a / x',
  pows: 'fpow(x, a)',
  maxs: 'fmax_(x, a)',
  mins: 'fmin_(x, a)',
};

const BINARY: Record<BinaryOp, string> = {
  add: 'a + b',
  sub: 'a - b',
  mul: 'a * b',
  div: 'a / b',
  max: 'fmax_(a, b)',
  min: 'fmin_(a, b)',
  pow: 'fpow(a, b)',
  lt: 'cmp(a < b, a, b, 0.0)',
  le: 'cmp(a <= b, a, b, 0.0)',
  gt: 'cmp(a > b, a, b, 0.0)',
  ge: 'cmp(a >= b, a, b, 0.0)',
  eq: 'cmp(a == b, a, b, 0.0)',
  ne: 'cmp(a != b, a, b, 1.0)',
};

// Storage bindings of each kernel entry (binding 0 is the uniform), in the order `dispatch` takes buffers.
const OUT: Binding = [1, 'rw'];
const B_FILL: Binding[] = [OUT];
const B_UNARY: Binding[] = [OUT, [2, 'r']];
const B_BINARY: Binding[] = [OUT, [2, 'r'], [3, 'r']];
const B_WHERE: Binding[] = [OUT, [2, 'r'], [3, 'r'], [4, 'r']];
const B_COMBINE: Binding[] = [OUT, [2, 'r'], [4, 'r']];
const B_ERRSUM: Binding[] = [OUT, [2, 'r'], [3, 'r'], [4, 'r']];
const B_ERRFIN: Binding[] = [OUT, [5, 'r']];
const BIND_GROUP_CACHE_MAX = 8192;

const REDUCE: Record<ReduceOp, { INIT: string; COMBINE: string }> = {
  sum: { INIT: '0.0', COMBINE: 'acc + v' },
  max: { INIT: 'neg_inf()', COMBINE: 'fmax_(acc, v)' },
};

/** Options of the webgpu backend: the WebGPU objects to use (see adapter.ts) and the kernel variants. */
export interface WebGpuBackendOptions extends WebGpuOptions {
  /** Kernel variants: 'gpu' or 'cpu' (see {@link WebGpuBackend.kernelStyle}); default chosen from the adapter. */
  kernelStyle?: KernelStyle;
}

/** Kernel variants tuned for GPUs or for software adapters. */
export type KernelStyle = 'gpu' | 'cpu';

/**
 * Creates the backend on the user's device, adapter or GPU object, or on the first adapter found. Throws
 * DeviceUnavailableError (NO_ADAPTER_MESSAGE) when there is none, or when Dawn itself cannot be loaded.
 */
export async function createWebGpuBackend(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
  return new WebGpuBackend(await acquireDevice(options), options.kernelStyle);
}

interface Collapsed {
  shape: number[];
  strides: number[][];
}

/** Drops size-1 dimensions and merges dimensions that are contiguous in every view. */
function collapse(shape: readonly number[], views: readonly View[]): Collapsed {
  const outShape: number[] = [];
  const strides: number[][] = views.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d];
    if (n === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && views.every((v, k) => strides[k][last] === n * v.strides[d])) {
      outShape[last] *= n;
      views.forEach((v, k) => (strides[k][last] = v.strides[d]));
    } else {
      outShape.push(n);
      views.forEach((v, k) => strides[k].push(v.strides[d]));
    }
  }
  if (outShape.length > MAX_RANK) {
    throw new Error(`sympode webgpu: strided kernels support rank <= ${MAX_RANK} after merging dims (got ${outShape.length})`);
  }
  return { shape: outShape, strides };
}

function product(shape: readonly number[]): number {
  let p = 1;
  for (const d of shape) p *= d;
  return p;
}

export class WebGpuBackend implements Backend<GPUBuffer> {
  readonly kind = 'webgpu' as const;
  readonly dtype = 'float32' as const;
  readonly elementBytes = 4;
  readonly counters: BackendCounters = { dispatches: 0, submits: 0, readbacks: 0 };
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

  private readonly maxGroups: number;
  private readonly maxBinding: number;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private recorded = 0;
  private pendingDestroy: GPUBuffer[] = [];
  private readonly ring: GPUBuffer;
  private readonly ringHost = new ArrayBuffer(SLOT_BYTES * RING_SLOTS);
  private readonly ringU32 = new Uint32Array(this.ringHost);
  private readonly ringI32 = new Int32Array(this.ringHost);
  private readonly ringF32 = new Float32Array(this.ringHost);
  private ringUsed = 0;
  private readonly staging = new Map<number, GPUBuffer[]>();
  private scratch: GPUBuffer | null = null;
  private readonly groups = new Map<string, GPUBindGroup>();
  private readonly groupKeys = new Map<number, string[]>();
  private readonly ids = new WeakMap<GPUBuffer, number>();
  private nextId = 0;
  private deviceError: Error | undefined;
  private destroyed = false;

  readonly device: GPUDevice;
  readonly description: string;
  /** Whether sympode created the GPUDevice (a device handed in by the user is not destroyed with the backend). */
  private readonly owned: boolean;
  private readonly gpu: GPU | undefined;

  constructor(acquired: AcquiredDevice, kernelStyle?: KernelStyle) {
    const { device } = acquired;
    this.device = device;
    this.gpu = acquired.gpu;
    this.owned = acquired.owned;
    this.description = `webgpu: ${acquired.description}`;
    this.programs = new ProgramCache(device);
    this.emulated = SOFTWARE_ADAPTER.test(this.description);
    this.kernelStyle = kernelStyle ?? (this.emulated ? 'cpu' : 'gpu');
    this.maxGroups = device.limits.maxComputeWorkgroupsPerDimension;
    this.maxBinding = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
    this.ring = device.createBuffer({ label: 'sympode uniform ring', size: SLOT_BYTES * RING_SLOTS, usage: U_UNIFORM | U_COPY_DST });
    device.addEventListener('uncapturederror', this.onDeviceError);
    void device.lost.then((info) => {
      if (!this.destroyed) this.deviceError ??= new Error(`sympode webgpu: device lost (${info.reason}): ${info.message}`);
    });
  }

  private readonly onDeviceError = (ev: Event): void => {
    const err = (ev as GPUUncapturedErrorEvent).error;
    this.deviceError ??= new Error(`sympode webgpu: device error: ${err.message}`);
  };

  /** The GPU object must stay reachable while the device lives. */
  get gpuInstance(): GPU | undefined {
    return this.gpu;
  }

  allocationSize(bytes: number): number {
    return Math.max(4, Math.ceil(bytes / 4) * 4);
  }

  createRaw(allocBytes: number): GPUBuffer {
    const size = this.allocationSize(allocBytes);
    if (size > this.maxBinding) {
      throw new RangeError(
        `sympode webgpu: a ${size}-byte buffer exceeds the adapter's maxStorageBufferBindingSize (${this.maxBinding} bytes)`,
      );
    }
    return this.device.createBuffer({ size, usage: U_STORAGE | U_COPY_SRC | U_COPY_DST });
  }

  destroyRaw(raw: GPUBuffer): void {
    this.forgetGroups(raw);
    // Recorded-but-unsubmitted commands may still use it: destroy after the next submit.
    if (this.encoder) this.pendingDestroy.push(raw);
    else raw.destroy();
  }

  write(dst: GPUBuffer, data: ArrayLike<number>, offset: number): void {
    const n = data.length;
    if (n === 0) return;
    if ((offset + n) * 4 > dst.size) throw new RangeError(`sympode webgpu: write of ${n} elements at ${offset} overruns a ${dst.size}-byte buffer`);
    this.flush();
    const arr = data instanceof Float32Array ? data : Float32Array.from(data);
    this.device.queue.writeBuffer(dst, offset * 4, arr.buffer, arr.byteOffset, n * 4);
  }

  async read(src: GPUBuffer, offset: number, size: number): Promise<Float32Array> {
    this.counters.readbacks++;
    this.throwIfFailed();
    if (size === 0) {
      this.flush();
      await this.programs.check();
      return new Float32Array(0);
    }
    const bytes = size * 4;
    if (offset * 4 + bytes > src.size) throw new RangeError(`sympode webgpu: read of ${size} elements at ${offset} overruns a ${src.size}-byte buffer`);
    const stage = this.takeStaging(bytes);
    this.endPass();
    this.openEncoder().copyBufferToBuffer(src, offset * 4, stage, 0, bytes);
    this.flush();
    try {
      await stage.mapAsync(MAP_READ, 0, bytes);
    } catch (e) {
      await this.programs.check();
      this.throwIfFailed();
      throw e;
    }
    const out = new Float32Array(size);
    out.set(new Float32Array(stage.getMappedRange(0, bytes)));
    stage.unmap();
    this.returnStaging(stage);
    await this.programs.check();
    this.throwIfFailed();
    return out;
  }

  fill(out: GPUBuffer, value: number, size: number): void {
    if (size === 0) return;
    const prog = this.programs.get('fill', 'fill_main', B_FILL);
    this.dispatch(prog, [out], this.grid1d(Math.ceil(size / WG)), (u, _i, f, b) => {
      u[b] = size;
      f[b + 1] = value;
    });
  }

  unary(op: UnaryOp, x: GPUBuffer, out: GPUBuffer, size: number, alpha = 0): void {
    if (size === 0) return;
    const prog = this.programs.get('elementwise', 'unary_main', B_UNARY, { UNARY: UNARY[op], BINARY: 'a' });
    this.withOut(out, [x], size, (target) =>
      this.dispatch(prog, [target, x], this.grid1d(Math.ceil(size / WG)), (u, _i, f, b) => {
        u[b] = size;
        u[b + 1] = 0;
        f[b + 2] = alpha;
      }),
    );
  }

  binary(op: BinaryOp, a: GPUBuffer, av: View, b: GPUBuffer, bv: View, out: GPUBuffer, shape: readonly number[]): void {
    const size = product(shape);
    if (size === 0) return;
    const prog = this.programs.get('elementwise', 'binary_main', B_BINARY, { UNARY: 'x', BINARY: BINARY[op] });
    this.withOut(out, [a, b], size, (target) =>
      this.strided(prog, [target, a, b], size, shape, [av, bv]),
    );
  }

  where(cond: GPUBuffer, cv: View, a: GPUBuffer, av: View, b: GPUBuffer, bv: View, out: GPUBuffer, shape: readonly number[]): void {
    const size = product(shape);
    if (size === 0) return;
    const prog = this.programs.get('elementwise', 'where_main', B_WHERE, { UNARY: 'x', BINARY: 'a' });
    this.withOut(out, [cond, a, b], size, (target) =>
      this.strided(prog, [target, cond, a, b], size, shape, [cv, av, bv]),
    );
  }

  reduce(op: ReduceOp, x: GPUBuffer, out: GPUBuffer, outer: number, n: number, inner: number): void {
    const total = outer * inner;
    if (total === 0) return;
    // One workgroup tree per output for long rows and few outputs (on CPU adapters only for very long rows,
    // where the tree's pairwise sums are also the more accurate ones).
    const tree = this.kernelStyle === 'cpu' ? n >= 16384 && total <= 8 : n >= 512 && total <= 2048;
    const prog = this.programs.get('reduce', tree ? 'reduce_tree' : 'reduce_loop', B_UNARY, REDUCE[op]);
    const groups = tree ? total : Math.ceil(total / WG);
    this.withOut(out, [x], total, (target) =>
      this.dispatch(prog, [target, x], this.grid1d(groups), (u, _i, _f, b) => {
        u[b] = outer;
        u[b + 1] = n;
        u[b + 2] = inner;
        u[b + 3] = total;
      }),
    );
  }

  matmul(
    a: GPUBuffer, b: GPUBuffer, out: GPUBuffer,
    batch: number, m: number, n: number, k: number,
    transA: boolean, transB: boolean,
    aBatchStride: number, bBatchStride: number,
  ): void {
    const total = batch * m * n;
    if (total === 0) return;
    const [ar, ac] = transA ? [1, m] : [k, 1];
    const [br, bc] = transB ? [1, k] : [n, 1];
    const kind = this.kernelStyle === 'cpu' ? 'regs' : m <= THIN || n <= THIN ? 'thin' : 'tiled';
    const tall = kind === 'regs' && m > n ? 1 : 0;
    const prog = this.programs.get('matmul', `matmul_${kind}`, B_BINARY);
    // Output tile of one workgroup (tiled and regs entries; thin is flattened).
    const [tileM, tileN] = kind === 'tiled' ? [64, 64] : tall ? [64, 8] : [8, 64];
    const tilesN = Math.ceil(n / tileN);
    const tilesM = Math.ceil(m / tileM);
    if (kind !== 'thin' && (tilesN > this.maxGroups || tilesM > this.maxGroups)) {
      throw new Error(`sympode webgpu: matmul output ${m}x${n} exceeds the dispatch grid`);
    }
    // Batches per dispatch: the grid's z extent, or a u32-safe flattened index (thin).
    const chunk = kind === 'thin' ? Math.max(1, Math.min(batch, Math.floor(2 ** 31 / (m * n)))) : Math.min(batch, this.maxGroups);
    this.withOut(out, [a, b], total, (target) => {
      for (let base = 0; base < batch; base += chunk) {
        const count = Math.min(chunk, batch - base);
        const grid: [number, number, number] = kind === 'thin'
          ? this.grid1d(Math.ceil((count * m * n) / WG))
          : [tilesN, tilesM, count];
        this.dispatch(prog, [target, a, b], grid, (u, _i, _f, o) => {
          u[o] = m;
          u[o + 1] = n;
          u[o + 2] = k;
          u[o + 3] = base;
          u[o + 4] = aBatchStride;
          u[o + 5] = bBatchStride;
          u[o + 6] = ar;
          u[o + 7] = ac;
          u[o + 8] = br;
          u[o + 9] = bc;
          u[o + 10] = count;
          u[o + 11] = tall;
        });
      }
    });
  }

  copy(src: GPUBuffer, sv: View, dst: GPUBuffer, dv: View, shape: readonly number[]): void {
    const size = product(shape);
    if (size === 0) return;
    let from = src;
    if (src === dst) {
      // A buffer cannot be bound read-only and writable in one dispatch: read from a snapshot.
      from = this.tempBuffer(src.size);
      this.endPass();
      this.openEncoder().copyBufferToBuffer(src, 0, from, 0, src.size);
    }
    const prog = this.programs.get('copy', 'copy_main', B_UNARY);
    const c = collapse(shape, [sv, dv]);
    this.dispatch(prog, [dst, from], this.grid1d(Math.ceil(size / WG)), (u, i, _f, b) => {
      u[b] = size;
      u[b + 1] = c.shape.length;
      i[b + 2] = sv.offset;
      i[b + 3] = dv.offset;
      for (let d = 0; d < c.shape.length; d++) {
        u[b + 4 + d] = c.shape[d];
        i[b + 12 + d] = c.strides[0][d];
        i[b + 20 + d] = c.strides[1][d];
      }
    });
  }

  rkCombine(y: GPUBuffer, stages: GPUBuffer, coeffs: readonly number[], h: number, out: GPUBuffer, n: number): void {
    if (n === 0) return;
    const prog = this.programs.get('rk', 'rk_combine', B_COMBINE);
    const nz = nonzero(coeffs);
    this.withOut(out, [y, stages], n, (target) =>
      this.dispatch(prog, [target, y, stages], this.grid1d(Math.ceil(n / WG)), (u, _i, f, b) =>
        rkParams(u, f, b, n, nz, h, 0, 0, 0, 0),
      ),
    );
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
    const nz = nonzero(e);
    const parts = Math.min(WG, Math.ceil(n / 8192));
    const sum = this.programs.get('rk', 'rk_error_sum', B_ERRSUM);
    this.withOut(out, [y0, y1, stages], 1, (target) => {
      if (parts <= 1) {
        this.dispatch(sum, [target, y0, y1, stages], [1, 1, 1], (u, _i, f, b) =>
          rkParams(u, f, b, n, nz, h, rtol, atol, 1, 1),
        );
        return;
      }
      const scratch = (this.scratch ??= this.device.createBuffer({ label: 'sympode rk partials', size: WG * 4, usage: U_STORAGE }));
      this.dispatch(sum, [scratch, y0, y1, stages], [parts, 1, 1], (u, _i, f, b) =>
        rkParams(u, f, b, n, nz, h, rtol, atol, 0, parts),
      );
      const fin = this.programs.get('rk', 'rk_error_final', B_ERRFIN);
      this.dispatch(fin, [target, scratch], [1, 1, 1], (u, _i, f, b) =>
        rkParams(u, f, b, n, [], h, rtol, atol, 1, parts),
      );
    });
  }

  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    const queue = this.device.queue;
    if (this.ringUsed > 0) queue.writeBuffer(this.ring, 0, this.ringHost, 0, this.ringUsed);
    queue.submit([this.encoder.finish()]);
    this.counters.submits++;
    this.encoder = null;
    this.recorded = 0;
    this.ringUsed = 0;
    for (const buf of this.pendingDestroy) {
      this.forgetGroups(buf);
      buf.destroy();
    }
    this.pendingDestroy = [];
  }

  /** Resolves when every pipeline made so far compiled and all submitted work finished; throws any error. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.programs.check();
    this.throwIfFailed();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.flush();
    this.destroyed = true;
    for (const list of this.staging.values()) for (const b of list) b.destroy();
    this.staging.clear();
    this.scratch?.destroy();
    this.ring.destroy();
    this.device.removeEventListener('uncapturederror', this.onDeviceError);
    if (this.owned) this.device.destroy();
  }

  // ---- internals -------------------------------------------------------------------------------------------

  private throwIfFailed(): void {
    if (this.deviceError) throw this.deviceError;
    if (this.destroyed) throw new Error('sympode webgpu: backend used after destroy()');
  }

  private openEncoder(): GPUCommandEncoder {
    return (this.encoder ??= this.device.createCommandEncoder());
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  /** A 2-D grid of at least `groups` workgroups whose x extent fits the per-dimension limit. */
  private grid1d(groups: number): [number, number, number] {
    if (groups <= this.maxGroups) return [groups, 1, 1];
    const y = Math.ceil(groups / this.maxGroups);
    if (y > this.maxGroups) throw new Error(`sympode webgpu: ${groups} workgroups exceed the dispatch grid`);
    return [Math.ceil(groups / y), y, 1];
  }

  private tempBuffer(bytes: number): GPUBuffer {
    const buf = this.device.createBuffer({ size: this.allocationSize(bytes), usage: U_STORAGE | U_COPY_SRC | U_COPY_DST });
    this.openEncoder();
    this.pendingDestroy.push(buf);
    return buf;
  }

  /**
   * Runs `body` with the buffer the kernel should write: `out` itself, or, when `out` is also one of the inputs
   * (the contract forbids it, but a wrong result would be silent), a temporary copied into `out` afterwards.
   */
  private withOut(out: GPUBuffer, inputs: readonly GPUBuffer[], elements: number, body: (target: GPUBuffer) => void): void {
    if (!inputs.includes(out)) {
      body(out);
      return;
    }
    const tmp = this.tempBuffer(elements * 4);
    body(tmp);
    this.endPass();
    this.openEncoder().copyBufferToBuffer(tmp, 0, out, 0, elements * 4);
  }

  /** Binary/where: out[i] = f(in_k[view_k(i)]) over `shape`, views collapsed to the smallest rank. */
  private strided(prog: Program, bindings: readonly GPUBuffer[], size: number, shape: readonly number[], views: readonly View[]): void {
    const c = collapse(shape, views);
    this.dispatch(prog, bindings, this.grid1d(Math.ceil(size / WG)), (u, i, _f, b) => {
      u[b] = size;
      u[b + 1] = c.shape.length;
      views.forEach((v, k) => (i[b + 4 + k] = v.offset));
      for (let d = 0; d < c.shape.length; d++) {
        u[b + 8 + d] = c.shape[d];
        views.forEach((_v, k) => (i[b + 16 + 8 * k + d] = c.strides[k][d]));
      }
    });
  }

  /**
   * Records one dispatch: parameters into a fresh (zeroed) ring slot, a bind group, the grid. `buffers`
   * follow `prog.bindings`.
   */
  private dispatch(
    prog: Program,
    buffers: readonly GPUBuffer[],
    grid: readonly [number, number, number],
    params: (u: Uint32Array, i: Int32Array, f: Float32Array, base: number) => void,
  ): void {
    if (this.deviceError) throw this.deviceError;
    if (this.ringUsed + SLOT_BYTES > this.ringHost.byteLength) this.flush();
    const offset = this.ringUsed;
    this.ringUsed += SLOT_BYTES;
    const base = offset / 4;
    this.ringU32.fill(0, base, base + SLOT_BYTES / 4);
    params(this.ringU32, this.ringI32, this.ringF32, base);
    const group = this.bindGroup(prog, offset, buffers);
    const pass = (this.pass ??= this.openEncoder().beginComputePass());
    pass.setPipeline(prog.pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(grid[0], grid[1], grid[2]);
    this.counters.dispatches++;
    if (++this.recorded >= FLUSH_EVERY) this.flush();
  }

  /**
   * Bind groups cost ~30 us each to create through Dawn's node bindings on lavapipe, more than a small dispatch:
   * cache them by (layout, ring slot, buffers) until a member buffer is destroyed. Slots restart at 0 on every
   * submit, so a loop that repeats the same ops between reads hits the cache.
   */
  private bindGroup(prog: Program, slotOffset: number, buffers: readonly GPUBuffer[]): GPUBindGroup {
    let key = `${prog.layoutId}@${slotOffset}`;
    for (const b of buffers) key += `,${this.bufferId(b)}`;
    let group = this.groups.get(key);
    if (group) return group;
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: this.ring, offset: slotOffset, size: SLOT_BYTES } }];
    prog.bindings.forEach(([binding], k) => entries.push({ binding, resource: { buffer: buffers[k] } }));
    group = this.device.createBindGroup({ layout: prog.layout, entries });
    if (this.groups.size >= BIND_GROUP_CACHE_MAX) {
      this.groups.clear();
      this.groupKeys.clear();
    }
    this.groups.set(key, group);
    for (const b of buffers) {
      const id = this.bufferId(b);
      const keys = this.groupKeys.get(id);
      if (keys) keys.push(key);
      else this.groupKeys.set(id, [key]);
    }
    return group;
  }

  private bufferId(b: GPUBuffer): number {
    let id = this.ids.get(b);
    if (id === undefined) {
      id = ++this.nextId;
      this.ids.set(b, id);
    }
    return id;
  }

  private forgetGroups(b: GPUBuffer): void {
    const id = this.ids.get(b);
    if (id === undefined) return;
    const keys = this.groupKeys.get(id);
    if (keys) for (const k of keys) this.groups.delete(k);
    this.groupKeys.delete(id);
  }

  private takeStaging(bytes: number): GPUBuffer {
    const size = Math.max(256, 2 ** Math.ceil(Math.log2(bytes)));
    const hit = this.staging.get(size)?.pop();
    return hit ?? this.device.createBuffer({ label: 'sympode readback', size, usage: U_MAP_READ | U_COPY_DST });
  }

  private returnStaging(buf: GPUBuffer): void {
    if (this.destroyed || buf.size > 16 << 20) {
      buf.destroy();
      return;
    }
    const list = this.staging.get(buf.size) ?? [];
    if (list.length >= 4) buf.destroy();
    else {
      list.push(buf);
      this.staging.set(buf.size, list);
    }
  }
}

function nonzero(coeffs: readonly number[]): Array<[number, number]> {
  if (coeffs.length > MAX_STAGES) throw new Error(`sympode webgpu: RK kernels take at most ${MAX_STAGES} stages (got ${coeffs.length})`);
  const nz: Array<[number, number]> = [];
  coeffs.forEach((c, j) => {
    if (c !== 0) nz.push([j, c]);
  });
  return nz;
}

function rkParams(
  u: Uint32Array, f: Float32Array, b: number, n: number, nz: ReadonlyArray<[number, number]>,
  h: number, rtol: number, atol: number, mode: number, parts: number,
): void {
  u[b] = n;
  u[b + 1] = nz.length;
  f[b + 2] = h;
  f[b + 3] = rtol;
  f[b + 4] = atol;
  u[b + 5] = mode;
  u[b + 6] = parts;
  nz.forEach(([j, c], t) => {
    u[b + 8 + t] = j;
    f[b + 24 + t] = c;
  });
}
