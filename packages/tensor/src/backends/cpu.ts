/**
 * CPU backend: typed arrays, float64 by default. The reference every other backend is tested against,
 * so every kernel here is the plainest loop that states the definition, except the matrix products: those
 * from WASM_MIN_MNK run on the WebAssembly SIMD kernels (wasm/gemm.ts) over up to `threads` threads, with
 * each output summed in the same order as the JS loop (float64: the same bits).
 */
import type { Backend, BackendCounters, BinaryOp, BufferKind, DType, LinearActivation, ReduceOp, UnaryOp, View } from './backend.js';
import { activationGradCpu, columnSums, linearCpu, linearWeightGradCpu, tanhInPlace } from './cpu-linear.js';
import { gemm, type Gemm } from './cpu-gemm.js';
import type { Allocator } from '../memory/allocator.js';
import { availableThreads, MAX_THREADS } from './wasm/threads.js';
import { WasmArenaToken, WasmGemm } from './wasm/gemm.js';
import { InvalidArgumentError } from '../errors.js';
import { describe } from '../args.js';

/** The cpu backend's buffers: a typed array of the device's dtype. */
export type CpuArray = Float64Array | Float32Array;


const unaryFns: Record<UnaryOp, (x: number, a: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  tanh: Math.tanh,
  sigmoid: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  softplus: (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))),
  relu: (x) => (x > 0 ? x : 0),
  sin: Math.sin,
  cos: Math.cos,
  square: (x) => x * x,
  sqrt: Math.sqrt,
  abs: Math.abs,
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0),
  step: (x) => (x > 0 ? 1 : 0),
  recip: (x) => 1 / x,
  adds: (x, a) => x + a,
  muls: (x, a) => x * a,
  rsubs: (x, a) => a - x,
  rdivs: (x, a) => a / x,
  pows: (x, a) => Math.pow(x, a),
  maxs: (x, a) => (x > a || Number.isNaN(x) ? x : a),
  mins: (x, a) => (x < a || Number.isNaN(x) ? x : a),
};

const binaryFns: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  max: (a, b) => (a > b || Number.isNaN(a) ? a : b),
  min: (a, b) => (a < b || Number.isNaN(a) ? a : b),
  pow: Math.pow,
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
  eq: (a, b) => (a === b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
};

/** out[o + j] = a[oa + j·sa] op b[ob + j·sb], j < n. */
function binaryRow(
  op: BinaryOp, f: (a: number, b: number) => number,
  a: CpuArray, oa: number, sa: number, b: CpuArray, ob: number, sb: number, out: CpuArray, o: number, n: number,
): void {
  const end = o + n;
  if (op === 'add') for (; o < end; o++, oa += sa, ob += sb) out[o] = a[oa] + b[ob];
  else if (op === 'mul') for (; o < end; o++, oa += sa, ob += sb) out[o] = a[oa] * b[ob];
  else if (op === 'sub') for (; o < end; o++, oa += sa, ob += sb) out[o] = a[oa] - b[ob];
  else for (; o < end; o++, oa += sa, ob += sb) out[o] = f(a[oa], b[ob]);
}

/** Calls fn(flatIndex, offsets...) for every index of `shape` in row-major order. */
function forEachIndex(shape: readonly number[], views: readonly View[], fn: (i: number, offs: number[]) => void): void {
  const rank = shape.length;
  const size = shape.reduce((p, d) => p * d, 1);
  if (size === 0) return;
  const idx = new Array<number>(rank).fill(0);
  const offs = views.map((v) => v.offset);
  for (let i = 0; i < size; i++) {
    fn(i, offs);
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      for (let v = 0; v < views.length; v++) offs[v] += views[v].strides[d];
      if (idx[d] < shape[d]) break;
      for (let v = 0; v < views.length; v++) offs[v] -= views[v].strides[d] * shape[d];
      idx[d] = 0;
    }
  }
}

/** m·n·k from which a product runs on the WebAssembly kernels (below, the JS loop's lack of set-up wins). */
export const WASM_MIN_MNK = 32768;

/** Options of {@link CpuBackend} (createDevice passes `threads`). */
export interface CpuBackendOptions {
  /** The most threads a matrix product uses: an integer ≥ 1; default the cores the runtime reports. */
  threads?: number;
  /** Run large matrix products on the WebAssembly SIMD kernels (default true where the runtime has them). */
  wasm?: boolean;
}

// Workers and WebAssembly memory of a backend nobody destroyed go when it is collected.
const release = new FinalizationRegistry<WasmGemm>((w) => w.release());

/** The cpu backend: typed arrays of float64 (default) or float32, the reference the WebGPU kernels are tested against. */
export class CpuBackend implements Backend<CpuArray> {
  readonly kind = 'cpu' as const;
  readonly emulated = false;
  readonly elementBytes: number;
  readonly description: string;
  readonly counters: BackendCounters = {
    dispatches: 0, submits: 0, readbacks: 0, bindGroups: 0, liveBindGroups: 0, peakLiveBindGroups: 0, wasmCalls: 0, wasmCopyBytes: 0, wasmCopyMs: 0,
  };
  private readonly Ctor: Float64ArrayConstructor | Float32ArrayConstructor;
  /** The WebAssembly GEMM (null: JS loops only). */
  private readonly wasm: WasmGemm | null;
  /** The product every matmul and fused layer uses. */
  private readonly mm: Gemm;

  constructor(readonly dtype: DType = 'float64', options: CpuBackendOptions = {}) {
    const threads = options.threads ?? availableThreads();
    const wasm = options.wasm ?? true;
    if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
      throw new InvalidArgumentError(`createDevice: threads must be an integer from 1 to ${MAX_THREADS}, got ${describe(threads)}`);
    }
    if (typeof wasm !== 'boolean') throw new InvalidArgumentError(`cpu backend: wasm must be a boolean, got ${describe(wasm)}`);
    this.Ctor = dtype === 'float64' ? Float64Array : Float32Array;
    this.elementBytes = dtype === 'float64' ? 8 : 4;
    this.wasm = wasm && WasmGemm.available() ? new WasmGemm(dtype === 'float64', threads, this.counters) : null;
    if (this.wasm) release.register(this, this.wasm, this.wasm);
    this.description = `cpu ${dtype}`;
    const w = this.wasm;
    this.mm = w
      ? (a, ao, ar, ac, b, bo, br, bc, out, oo, m, n, k, bias) => {
          if (m * n * k >= WASM_MIN_MNK && w.gemm(a, ao, ar, ac, b, bo, br, bc, out, oo, m, n, k, bias)) return;
          gemm(a, ao, ar, ac, b, bo, br, bc, out, oo, m, n, k, bias);
        }
      : gemm;
  }

  /** Whether large products run on the WebAssembly SIMD kernels. */
  get simd(): boolean {
    return this.wasm !== null;
  }

  /** The most threads a product uses (1 without WebAssembly, shared memory or worker threads). */
  get threads(): number {
    return this.wasm?.threadCount ?? 1;
  }

  /**
   * Starts the worker threads now and resolves, with the threads running, once they all run (or after
   * `timeoutMs`, then saying why in `threadsNote`). Without it they start on the first product large enough
   * to use them, which runs on the threads already running (results do not depend on the count): for
   * benchmarks that time from the first product.
   */
  startThreads(timeoutMs = 10_000): Promise<number> {
    return this.wasm ? this.wasm.startThreads(timeoutMs) : Promise.resolve(1);
  }

  /** Why the backend runs fewer threads than asked ('' when it does not). */
  get threadsNote(): string {
    return this.wasm?.threadsNote ?? '';
  }

  /** @internal The device's allocator counts the WebAssembly memory (see Backend.attachAllocator). */
  attachAllocator(allocator: Allocator): void {
    this.wasm?.attach(allocator);
  }

  allocationSize(bytes: number): number {
    return bytes;
  }
  createRaw(allocBytes: number, kind?: BufferKind): CpuArray {
    // The WebAssembly memory's token stands in the allocator's pool for the memory (never read as an array).
    if (kind === 'wasm') return this.wasm!.raw(allocBytes) as unknown as CpuArray;
    return new this.Ctor(allocBytes / this.elementBytes);
  }
  destroyRaw(raw: CpuArray): void {
    // Typed arrays are garbage collected; the WebAssembly memory is released (with its threads).
    if ((raw as unknown) instanceof WasmArenaToken) this.wasm?.destroyRaw(raw as unknown as WasmArenaToken);
  }
  write(dst: CpuArray, data: ArrayLike<number>, offset: number): void {
    dst.set(data, offset);
  }
  async read(src: CpuArray, offset: number, size: number): Promise<CpuArray> {
    this.counters.readbacks++;
    return src.slice(offset, offset + size);
  }
  fill(out: CpuArray, value: number, size: number): void {
    this.counters.dispatches++;
    out.fill(value, 0, size);
  }
  unary(op: UnaryOp, x: CpuArray, out: CpuArray, size: number, alpha = 0): void {
    this.counters.dispatches++;
    // The hottest ops of MLP fields as their own loops (one indirect call per element costs more than the op).
    if (op === 'tanh') tanhInPlace(x, out, size);
    else if (op === 'muls') for (let i = 0; i < size; i++) out[i] = x[i] * alpha;
    else if (op === 'square') for (let i = 0; i < size; i++) out[i] = x[i] * x[i];
    else if (op === 'adds') for (let i = 0; i < size; i++) out[i] = x[i] + alpha;
    else if (op === 'rsubs') for (let i = 0; i < size; i++) out[i] = alpha - x[i];
    else if (op === 'neg') for (let i = 0; i < size; i++) out[i] = -x[i];
    else if (op === 'exp') for (let i = 0; i < size; i++) out[i] = Math.exp(x[i]);
    else if (op === 'recip') for (let i = 0; i < size; i++) out[i] = 1 / x[i];
    else {
      const f = unaryFns[op];
      for (let i = 0; i < size; i++) out[i] = f(x[i], alpha);
    }
  }
  binary(op: BinaryOp, a: CpuArray, av: View, b: CpuArray, bv: View, out: CpuArray, shape: readonly number[]): void {
    this.counters.dispatches++;
    const f = binaryFns[op];
    const rank = shape.length;
    if (rank === 0) {
      out[0] = f(a[av.offset], b[bv.offset]);
      return;
    }
    // The innermost dimension as a plain strided loop (no callback per element): ops are host-bound on cpu.
    // Ranks 1 and 2 (nearly every call) run without closures or index arrays.
    const n = shape[rank - 1];
    const sa = av.strides[rank - 1];
    const sb = bv.strides[rank - 1];
    if (rank === 1) {
      binaryRow(op, f, a, av.offset, sa, b, bv.offset, sb, out, 0, n);
      return;
    }
    if (rank === 2) {
      const ra = av.strides[0], rb = bv.strides[0];
      for (let r = 0; r < shape[0]; r++) binaryRow(op, f, a, av.offset + r * ra, sa, b, bv.offset + r * rb, sb, out, r * n, n);
      return;
    }
    let i = 0;
    const outerViews = [{ offset: av.offset, strides: av.strides.slice(0, -1) }, { offset: bv.offset, strides: bv.strides.slice(0, -1) }];
    forEachIndex(shape.slice(0, -1), outerViews, (_k, o) => {
      binaryRow(op, f, a, o[0], sa, b, o[1], sb, out, i, n);
      i += n;
    });
  }
  where(cond: CpuArray, cv: View, a: CpuArray, av: View, b: CpuArray, bv: View, out: CpuArray, shape: readonly number[]): void {
    this.counters.dispatches++;
    forEachIndex(shape, [cv, av, bv], (i, o) => {
      out[i] = cond[o[0]] !== 0 ? a[o[1]] : b[o[2]];
    });
  }
  reduce(op: ReduceOp, x: CpuArray, out: CpuArray, outer: number, n: number, inner: number): void {
    this.counters.dispatches++;
    if (op === 'sum' && inner > 1) {
      // Rows read contiguously (a column at a time walked the whole array once per column): each output is
      // still summed in row order from 0, in float64, so the same bits.
      for (let o = 0; o < outer; o++) columnSums(x, o * n * inner, n, inner, out, o * inner);
      return;
    }
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        let acc = op === 'sum' ? 0 : -Infinity;
        for (let r = 0; r < n; r++) {
          const v = x[(o * n + r) * inner + j];
          acc = op === 'sum' ? acc + v : v > acc || Number.isNaN(v) ? v : acc;
        }
        out[o * inner + j] = acc;
      }
    }
  }
  matmul(
    a: CpuArray, b: CpuArray, out: CpuArray, batch: number, m: number, n: number, k: number,
    transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number,
  ): void {
    this.counters.dispatches++;
    // Row/column strides of the logical [m, k] and [k, n] operands.
    const [ar, ac] = transA ? [1, m] : [k, 1];
    const [br, bc] = transB ? [1, k] : [n, 1];
    for (let p = 0; p < batch; p++) this.mm(a, p * aBatchStride, ar, ac, b, p * bBatchStride, br, bc, out, p * m * n, m, n, k, null);
  }
  linear(x: CpuArray, w: CpuArray, b: CpuArray | null, out: CpuArray, m: number, n: number, k: number, act: LinearActivation): void {
    this.counters.dispatches++;
    // float32 tanh layers apply the activation in WebAssembly memory, before the copy out (the same bits).
    if (act === 'tanh' && this.dtype === 'float32' && this.wasm && m * n * k >= WASM_MIN_MNK) {
      if (this.wasm.gemm(x, 0, k, 1, w, 0, 1, k, out, 0, m, n, k, b, true)) return;
    }
    linearCpu(x, w, b, out, m, n, k, act, this.mm);
  }
  activationGrad(g: CpuArray, y: CpuArray, out: CpuArray, size: number, act: LinearActivation): void {
    this.counters.dispatches++;
    activationGradCpu(g, y, out, size, act);
  }
  linearWeightGrad(gz: CpuArray, x: CpuArray, gw: CpuArray, gb: CpuArray | null, m: number, n: number, k: number): void {
    this.counters.dispatches++;
    linearWeightGradCpu(gz, x, gw, gb, m, n, k, this.mm);
  }
  copy(src: CpuArray, sv: View, dst: CpuArray, dv: View, shape: readonly number[]): void {
    this.counters.dispatches++;
    forEachIndex(shape, [sv, dv], (_i, o) => {
      dst[o[1]] = src[o[0]];
    });
  }
  rkCombine(y: CpuArray, stages: CpuArray, coeffs: readonly number[], h: number, out: CpuArray, n: number): void {
    this.counters.dispatches++;
    for (let i = 0; i < n; i++) {
      let acc = 0;
      for (let j = 0; j < coeffs.length; j++) if (coeffs[j] !== 0) acc += coeffs[j] * stages[j * n + i];
      out[i] = y[i] + h * acc;
    }
  }
  combineTerms(base: CpuArray, terms: readonly CpuArray[], coeffs: readonly number[], h: number, out: CpuArray, n: number): void {
    this.counters.dispatches++;
    const ts = terms.filter((_, j) => coeffs[j] !== 0);
    const cs = coeffs.filter((c) => c !== 0);
    for (let i = 0; i < n; i++) {
      let acc = 0;
      for (let j = 0; j < ts.length; j++) acc += cs[j] * ts[j][i];
      out[i] = base[i] + h * acc;
    }
  }
  rkErrorRatio(
    y0: CpuArray, y1: CpuArray, stages: CpuArray, e: readonly number[], h: number,
    rtol: number, atol: number, out: CpuArray, n: number,
  ): void {
    this.counters.dispatches++;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      let err = 0;
      for (let j = 0; j < e.length; j++) if (e[j] !== 0) err += e[j] * stages[j * n + i];
      const tol = atol + rtol * Math.max(Math.abs(y0[i]), Math.abs(y1[i]));
      const r = (h * err) / tol;
      sq += r * r;
    }
    out[0] = Math.sqrt(sq / n);
  }
  flush(): void {}
  destroy(): void {
    this.wasm?.release();
  }
}
