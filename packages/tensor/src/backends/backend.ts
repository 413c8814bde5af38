/**
 * The contract between the tensor library and a compute backend.
 *
 * A backend knows nothing about tensors, autograd or shapes beyond what a kernel needs: it receives raw
 * buffers (created and destroyed only through the allocator, via `createRaw`/`destroyRaw`) and element
 * counts, strides and scalars. All buffers hold contiguous elements of the backend's dtype; offsets and
 * strides are in elements. Kernels write into an `out` buffer the caller allocated; `out` never aliases
 * an input unless a method says so.
 */
import type { Allocator } from '../memory/allocator.js';

/** Element types: float32 (webgpu and cpu) or float64 (cpu). */
export type DType = 'float32' | 'float64';

/** Element-wise unary kernels (and the scalar-parameter forms). */
export type UnaryOp =
  | 'neg' | 'exp' | 'log' | 'tanh' | 'sigmoid' | 'softplus' | 'relu' | 'sin' | 'cos'
  | 'square' | 'sqrt' | 'abs' | 'sign' | 'step'   // step(x) = x > 0 ? 1 : 0 (relu's derivative)
  | 'recip'                                         // 1 / x
  // scalar-parameter forms: alpha is the scalar
  | 'adds' | 'muls' | 'rsubs' | 'rdivs' | 'pows' | 'maxs' | 'mins';
  // adds: x + a, muls: x * a, rsubs: a - x, rdivs: a / x, pows: x ^ a, maxs: max(x, a), mins: min(x, a)

/** Element-wise binary kernels with broadcasting by strides. */
export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min' | 'pow'
  | 'lt' | 'le' | 'gt' | 'ge' | 'eq' | 'ne';        // comparisons give 1 or 0

/** Activations the fused linear kernels apply (see {@link Backend.linear}). */
export type LinearActivation = 'identity' | 'tanh' | 'relu' | 'sigmoid' | 'softplus';

/** Reductions along one axis. */
export type ReduceOp = 'sum' | 'max';

/**
 * What a raw buffer is for: tensor storage (also the backend's temporaries), host readback staging, kernel
 * parameters, timestamp queries (WebGPU buffer usages), or the cpu backend's WebAssembly memory ('wasm').
 */
export type BufferKind = 'storage' | 'staging' | 'uniform' | 'query' | 'wasm';

/** GPU time of one kernel during a profile (timestamp queries). */
export interface KernelTiming {
  /** `file:entry` of the WGSL kernel. */
  kernel: string;
  dispatches: number;
  /** Milliseconds of GPU time, summed over its dispatches. */
  gpuMs: number;
}

/** Element offset plus per-dimension strides (0 for a broadcast dimension). */
export interface View {
  offset: number;
  strides: readonly number[];
}

/** What a compute backend implements: raw buffers and the kernels the ops call (see the module comment). */
export interface Backend<R = unknown> {
  readonly kind: 'cpu' | 'webgpu';
  readonly dtype: DType;
  /** Bytes per element. */
  readonly elementBytes: number;
  /** Human-readable description of the device (adapter name, or "cpu float64"). */
  readonly description: string;
  /** True when a WebGPU adapter is a software rasterizer on the CPU (lavapipe, SwiftShader). */
  readonly emulated: boolean;
  /** Work counters since creation: kernel dispatches, queue submits, host readbacks. */
  readonly counters: BackendCounters;

  /** Bytes a buffer of `bytes` requested bytes really occupies (e.g. WebGPU's 4-byte minimum and alignment). */
  allocationSize(bytes: number): number;
  createRaw(allocBytes: number, kind?: BufferKind): R;
  destroyRaw(raw: R): void;

  /**
   * @internal
   * Called by the allocator created for this backend: a backend that needs buffers of its own (staging,
   * uniforms, scratch) takes them from it (`allocInternal`), so they are counted (label `internal`).
   */
  attachAllocator?(allocator: Allocator): void;

  /** Starts timing kernels on the GPU; false when the device cannot (no `timestamp-query`) or already does. */
  startKernelTiming?(): boolean;
  /** Stops timing and returns the GPU time per kernel since `startKernelTiming`. */
  stopKernelTiming?(): Promise<KernelTiming[]>;

  /** Copies host data into `dst` starting at element `offset`. */
  write(dst: R, data: ArrayLike<number>, offset: number): void;
  /** Reads `size` elements starting at element `offset`; resolves after all recorded work finished. */
  read(src: R, offset: number, size: number): Promise<Float32Array | Float64Array>;

  fill(out: R, value: number, size: number): void;
  unary(op: UnaryOp, x: R, out: R, size: number, alpha?: number): void;
  /** out[idx] = a[view a] op b[view b] for every idx of `shape` (row-major), a and b broadcast by strides. */
  binary(op: BinaryOp, a: R, av: View, b: R, bv: View, out: R, shape: readonly number[]): void;
  /** out = cond != 0 ? a : b, all three broadcast by strides over `shape`. */
  where(cond: R, cv: View, a: R, av: View, b: R, bv: View, out: R, shape: readonly number[]): void;
  /** x viewed as [outer, n, inner]; reduces the middle axis into out [outer, inner]. */
  reduce(op: ReduceOp, x: R, out: R, outer: number, n: number, inner: number): void;
  /**
   * Batched matmul. a is [batch, m, k] (or [batch, k, m] when transA), b is [batch, k, n] (or [batch, n, k]
   * when transB); out is [batch, m, n]. aBatchStride/bBatchStride are 0 to broadcast one matrix over the batch.
   */
  matmul(
    a: R, b: R, out: R,
    batch: number, m: number, n: number, k: number,
    transA: boolean, transB: boolean,
    aBatchStride: number, bBatchStride: number,
  ): void;
  /**
   * Fused linear layer: out [m, n] = act(x [m, k] · w [n, k]ᵀ + b [n]), one kernel. `b` null: no bias. On cpu
   * the sum runs over q = 0 … k−1 from 0, then the bias is added (the unfused matmul-then-add order).
   */
  linear(x: R, w: R, b: R | null, out: R, m: number, n: number, k: number, act: LinearActivation): void;
  /**
   * out[i] = g[i] · act'(z[i]) computed from the layer's output y = act(z): tanh 1 − y², sigmoid y(1 − y),
   * relu step(y), softplus 1 − exp(−y), identity 1.
   */
  activationGrad(g: R, y: R, out: R, size: number, act: LinearActivation): void;
  /** gw [n, k] = gzᵀ · x and, unless `gb` is null, gb [n] = Σ_rows gz, for gz [m, n] and x [m, k]: one kernel. */
  linearWeightGrad(gz: R, x: R, gw: R, gb: R | null, m: number, n: number, k: number): void;
  /** dst[dst view at idx] = src[src view at idx] for every idx of `shape`. dst may be a live buffer (in-place write). */
  copy(src: R, sv: View, dst: R, dv: View, shape: readonly number[]): void;
  /**
   * RK stage combination in one pass: out[i] = y[i] + h * Σ_j coeffs[j] * stages[j*n + i], i < n.
   * `stages` is laid out [s, n]; coeffs has length s (zeros allowed, any s: webgpu chains a dispatch per 16
   * nonzero coefficients, so beyond 16 its float32 rounding is per chunk; cpu sums all rows in one accumulator).
   */
  rkCombine(y: R, stages: R, coeffs: readonly number[], h: number, out: R, n: number): void;
  /**
   * A combination of separate buffers in one pass (up to 6 nonzero terms a dispatch on webgpu, chained beyond):
   * out[i] = base[i] + h * Σ_j coeffs[j] * terms[j][i], i < n, zero coefficients skipped (their terms are never
   * read), the sum taken as {@link Backend.rkCombine} takes it (from 0, in order, then scaled and added), so the
   * two agree on the same coefficients. coeffs and terms have the same length.
   */
  combineTerms(base: R, terms: readonly R[], coeffs: readonly number[], h: number, out: R, n: number): void;
  /**
   * RMS error ratio (torchdiffeq's): err_i = h Σ_j e[j] stages[j*n+i] (any number of stages, as rkCombine);
   * out[0] = sqrt(mean_i (err_i / (atol + rtol * max(|y0_i|, |y1_i|)))^2).
   */
  rkErrorRatio(
    y0: R, y1: R, stages: R, e: readonly number[], h: number,
    rtol: number, atol: number, out: R, n: number,
  ): void;

  /** Submits recorded work (no-op on cpu). */
  flush(): void;
  /**
   * A promise to await when the backend holds garbage only the runtime can free (WebGPU: dropped bind groups,
   * which Dawn releases when their JS wrappers are collected), or null when there is nothing to do. Long loops
   * that never yield to the event loop await it between iterations (see {@link Device.relieve}).
   */
  relief?(): Promise<void> | null;
  /** Releases the device (Dawn keeps Node alive until its device is destroyed). */
  destroy(): void;
}

/** Work a backend did since it was created. */
export interface BackendCounters {
  dispatches: number;
  submits: number;
  readbacks: number;
  /** Bind groups created (WebGPU; a cached one reused is not counted; always 0 on cpu). */
  bindGroups: number;
  /**
   * Bind groups whose JS wrapper has not been collected yet (WebGPU: Dawn holds a descriptor set for each until
   * then, cached or garbage; always 0 on cpu). Bounded by the relief {@link Backend.relief} gives.
   */
  liveBindGroups: number;
  /** cpu: products run by the WebAssembly kernels (always 0 on webgpu). */
  wasmCalls: number;
  /** cpu: bytes copied between tensor storages and the WebAssembly memory (operands in, result out). */
  wasmCopyBytes: number;
  /** cpu: milliseconds spent on those copies. */
  wasmCopyMs: number;
  /** The most bind groups alive at once so far (always 0 on cpu). */
  peakLiveBindGroups: number;
}
