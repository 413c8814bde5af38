/**
 * The cpu backend's WebAssembly GEMM: one WebAssembly memory per backend (made on first use), in which each
 * call copies its operands, runs kernels/wasm/gemm.wat on 1 … threads threads (row ranges of C) and copies
 * the result out. Tensor storages stay JS typed arrays; the memory is scratch. It is counted by the device's
 * allocator as one internal buffer (kind 'wasm', label `internal`): live for the length of a call, reserved
 * (pooled) between calls, released by `memory.emptyCache()` or `device.destroy()`. The copies are counted in
 * the backend's counters (`wasmCopyBytes`, `wasmCopyMs`).
 */
import type { Allocator, Block } from '../../memory/allocator.js';
import type { BackendCounters } from '../backend.js';
import { wasmApi, type WasmMemory } from './api.js';
import { MAX_PAGES, modules, type GemmExports } from './module.js';
import { CTRL_BYTES, runJob, ThreadPool, type Job } from './threads.js';

type Arr = Float64Array | Float32Array;

/** m·n·k from which a product is split over threads (below, waking a worker costs more than it saves). */
export const THREAD_MIN_MNK = 1 << 22;
const PAGE = 65536;
const KC = 256;
const MC = 128;

/** The allocator's raw buffer for the memory while it has this size (a stale one, after a grow, is inert). */
export class WasmArenaToken {
  constructor(readonly bytes: number) {}
}

const align16 = (x: number): number => Math.ceil(x / 16) * 16;

/** The backend's WebAssembly memory, instance and worker threads, and the GEMM that uses them. */
export class WasmGemm {
  private memory: WasmMemory | null = null;
  private exports: GemmExports | null = null;
  private pool: ThreadPool | null = null;
  private token: WasmArenaToken | null = null;
  private view: Arr | null = null;
  private allocator: Allocator | null = null;
  /** Why fewer threads run than asked ('' while none failed). */
  threadsNote = '';
  /** The threads the last product ran on. */
  lastThreads = 0;

  /** `threads` ≥ 1: the most threads a call uses (1 where the runtime has no shared memory). */
  constructor(private readonly f64: boolean, private threads: number, private readonly counters: BackendCounters) {
    if (!modules().shared) this.threads = 1;
  }

  /** Whether this runtime can run the kernels at all (WebAssembly SIMD). */
  static available(): boolean {
    return modules().plain !== null;
  }

  /** The most threads a call may use (after any fall back to one). */
  get threadCount(): number {
    return this.threads;
  }

  /** The threads running now (1 before the first product that uses workers, and while they start). */
  get runningCount(): number {
    return this.pool?.running ?? 1;
  }

  attach(allocator: Allocator): void {
    this.allocator = allocator;
  }

  /**
   * out[oo + i·n + j] = Σ_q A(i, q)·B(q, j) (+ bias[j]), as cpu-gemm.ts's gemm (same arguments), then
   * tanh32 of it when `tanh` (float32 only: the fused linear layer's activation, the JS function's bits).
   * False, having done nothing, when the operands do not fit in the most memory the module can address or the
   * runtime cannot make or grow the memory (the caller then uses the JS loop).
   */
  gemm(
    a: Arr, ao: number, ar: number, ac: number, b: Arr, bo: number, br: number, bc: number,
    out: Arr, oo: number, m: number, n: number, k: number, bias: Arr | null, tanh = false,
  ): boolean {
    if (tanh && this.f64) throw new Error('internal: the WebAssembly tanh is float32 only');
    const E = this.f64 ? 8 : 4;
    const nr = this.f64 ? 4 : 8;
    const npad = Math.ceil(n / nr) * nr;
    const mpad = Math.ceil(m / 4) * 4;
    const extA = (m - 1) * ar + (k - 1) * ac + 1;
    const extB = (k - 1) * br + (n - 1) * bc + 1;
    const tiles = mpad / 4;
    const threads = m * n * k >= THREAD_MIN_MNK ? Math.min(this.runningThreads(), tiles) : 1;
    // Layout (bytes): control block, A, B, bias, C (mpad × npad), then each thread's packing scratch.
    let off = CTRL_BYTES;
    const pA = off; off += align16(extA * E);
    const pB = off; off += align16(extB * E);
    const pBias = bias ? off : 0; off += bias ? npad * E : 0;
    const pC = off; off += mpad * npad * E;
    const kc = Math.min(k, KC);
    const scratch = off;
    // Packing scratch per thread: A's panels of at most MC rows (fewer when C has fewer), B's of the whole row.
    const mc = Math.min(MC, mpad);
    const perThread = mc * kc * E + kc * npad * E;
    off += threads * perThread;
    if (off > MAX_PAGES * PAGE) return false;

    let block: Block | null;
    try {
      block = this.acquire(off);
    } catch (e) {
      // No memory for it (the runtime refused to make or grow one): the JS loop computes the same product.
      if (e instanceof RangeError) return false;
      throw e;
    }
    try {
      const t0 = performance.now();
      const v = this.view!;
      v.set(a.subarray(ao, ao + extA), pA / E);
      v.set(b.subarray(bo, bo + extB), pB / E);
      if (bias) {
        v.set(bias.subarray(0, n), pBias / E);
        v.fill(0, pBias / E + n, pBias / E + npad);
      }
      const t1 = performance.now();
      const jobs: (Job | null)[] = [];
      for (let t = 0; t < threads; t++) {
        const i0 = Math.floor((t * tiles) / threads) * 4;
        const i1 = Math.floor(((t + 1) * tiles) / threads) * 4;
        const pa = scratch + t * perThread;
        jobs.push(i1 > i0 ? { f64: this.f64, gemm: [pA, ar, ac, pB, br, bc, pC, m, n, k, i0, i1, pa, pa + mc * kc * E], bias: pBias, npad, tanh } : null);
      }
      this.runJobs(jobs);
      this.lastThreads = jobs.filter((j) => j !== null).length;
      const t2 = performance.now();
      const c0 = pC / E;
      if (npad === n) out.set(v.subarray(c0, c0 + m * n), oo);
      else for (let i = 0; i < m; i++) out.set(v.subarray(c0 + i * npad, c0 + i * npad + n), oo + i * n);
      this.counters.wasmCalls++;
      this.counters.wasmCopyBytes += (extA + extB + (bias ? n : 0) + m * n) * E;
      this.counters.wasmCopyMs += t1 - t0 + (performance.now() - t2);
    } finally {
      if (block) this.allocator!.freeInternal(block);
    }
    return true;
  }

  /**
   * Threads a product may use now: 1 until the workers run (they start on the first product that would use
   * them and are never waited for: the result is the same on any count).
   */
  private runningThreads(): number {
    if (this.threads === 1) return 1;
    if (!this.pool) {
      if (!this.memory) return 1; // the first product makes the memory; the workers start on the next
      try {
        this.pool = new ThreadPool(this.memory, modules().shared!, this.threads);
      } catch (e) {
        // Correct on one thread, only slower: say why (the backend's threadsNote) and go on.
        this.threadsNote = `running on one thread: ${e instanceof Error ? e.message : String(e)}`;
        this.threads = 1;
        return 1;
      }
    }
    if (this.pool.failure) this.threadsNote = this.pool.failure;
    return this.pool.running;
  }

  /** Starts the workers and waits until they all run (or `timeoutMs` passed); the threads that run. */
  async startThreads(timeoutMs = 10_000): Promise<number> {
    if (this.threads === 1) return 1;
    if (!this.memory) {
      // The workers need the memory: make it (counted, then pooled as after a product).
      const block = this.acquire(CTRL_BYTES);
      if (block) this.allocator!.freeInternal(block);
    }
    this.runningThreads();
    if (this.pool && !(await this.pool.whenRunning(timeoutMs)) && !this.threadsNote) {
      this.threadsNote = `only ${this.pool.running} of ${this.threads} threads started within ${timeoutMs} ms`;
    }
    return this.pool?.running ?? 1;
  }

  private runJobs(jobs: (Job | null)[]): void {
    if (this.pool && jobs.length > 1) this.pool.run(this.exports!, jobs);
    else for (const j of jobs) if (j) runJob(this.exports!, j);
  }

  /**
   * The memory, at least `bytes` long, counted live under `internal` until the call frees the block: the
   * pooled block when the size is unchanged, else the memory grows and the old size's block is dropped
   * (null: no allocator attached, nothing counted). Throws RangeError, having changed nothing, when the
   * runtime cannot make or grow the memory.
   */
  private acquire(bytes: number): Block | null {
    const alloc = this.allocator;
    if (!this.memory || this.memory.buffer.byteLength < bytes) {
      const stale = this.token && alloc ? alloc.allocInternal('wasm', this.token.bytes, 'wasm memory') : null;
      try {
        this.grow(bytes);
      } catch (e) {
        if (stale) alloc!.freeInternal(stale, true); // back to the pool, as it was
        throw e;
      }
      if (stale) alloc!.freeInternal(stale, false);
    }
    if (!alloc) return null;
    return alloc.allocInternal('wasm', this.memory!.buffer.byteLength, 'wasm memory');
  }

  private grow(bytes: number): void {
    const pages = Math.ceil(bytes / PAGE);
    if (!this.memory) {
      const shared = modules().shared !== null;
      const wa = wasmApi()!;
      this.memory = new wa.Memory({ initial: pages, maximum: MAX_PAGES, shared });
      const module = shared ? modules().shared! : modules().plain!;
      this.exports = new wa.Instance(module, { env: { memory: this.memory } }).exports as unknown as GemmExports;
    } else {
      const have = this.memory.buffer.byteLength / PAGE;
      this.memory.grow(Math.min(MAX_PAGES, Math.max(pages, Math.ceil(have * 1.25))) - have);
    }
    const buf = this.memory.buffer;
    this.view = this.f64 ? new Float64Array(buf) : new Float32Array(buf);
    this.token = new WasmArenaToken(buf.byteLength);
  }

  /** The allocator's raw buffer of `bytes` (its createRaw for kind 'wasm'): the current token. */
  raw(bytes: number): WasmArenaToken {
    if (!this.token || this.token.bytes !== bytes) throw new Error(`internal: no wasm memory of ${bytes} bytes`);
    return this.token;
  }

  /** The allocator destroys a raw buffer: the current token releases the memory and the threads. */
  destroyRaw(raw: WasmArenaToken): void {
    if (raw === this.token) this.release();
  }

  /** Drops the memory and stops the workers (a later call makes them again). */
  release(): void {
    this.pool?.terminate();
    this.pool = null;
    this.memory = null;
    this.exports = null;
    this.view = null;
    this.token = null;
  }
}
