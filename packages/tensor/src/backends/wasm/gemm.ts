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
  /** Why threads were given up on ('' while they work or were never needed). */
  threadsNote = '';

  /** `threads` ≥ 1: the most threads a call uses (1 where the runtime has no shared memory). */
  constructor(private readonly f64: boolean, private threads: number, private readonly counters: BackendCounters) {
    if (!modules().shared) this.threads = 1;
  }

  /** Whether this runtime can run the kernels at all (WebAssembly SIMD). */
  static available(): boolean {
    return modules().plain !== null;
  }

  /** The threads a call may use (after any fall back to one). */
  get threadCount(): number {
    return this.threads;
  }

  attach(allocator: Allocator): void {
    this.allocator = allocator;
  }

  /**
   * out[oo + i·n + j] = Σ_q A(i, q)·B(q, j) (+ bias[j]), as cpu-gemm.ts's gemm (same arguments). False, having
   * done nothing, when the operands do not fit in the most memory the module can address (the caller then
   * uses the JS loop).
   */
  gemm(
    a: Arr, ao: number, ar: number, ac: number, b: Arr, bo: number, br: number, bc: number,
    out: Arr, oo: number, m: number, n: number, k: number, bias: Arr | null,
  ): boolean {
    const E = this.f64 ? 8 : 4;
    const nr = this.f64 ? 4 : 8;
    const npad = Math.ceil(n / nr) * nr;
    const mpad = Math.ceil(m / 4) * 4;
    const extA = (m - 1) * ar + (k - 1) * ac + 1;
    const extB = (k - 1) * br + (n - 1) * bc + 1;
    const tiles = mpad / 4;
    const threads = m * n * k >= THREAD_MIN_MNK ? Math.min(this.threads, tiles) : 1;
    // Layout (bytes): control block, A, B, bias, C (mpad × npad), then each thread's packing scratch.
    let off = CTRL_BYTES;
    const pA = off; off += align16(extA * E);
    const pB = off; off += align16(extB * E);
    const pBias = bias ? off : 0; off += bias ? npad * E : 0;
    const pC = off; off += mpad * npad * E;
    const kc = Math.min(k, KC);
    const scratch = off;
    const perThread = MC * kc * E + kc * npad * E;
    off += threads * perThread;
    if (off > MAX_PAGES * PAGE) return false;

    const block = this.acquire(off);
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
        jobs.push(i1 > i0 ? { f64: this.f64, gemm: [pA, ar, ac, pB, br, bc, pC, m, n, k, i0, i1, pa, pa + MC * kc * E], bias: pBias, npad } : null);
      }
      this.runJobs(jobs);
      const t2 = performance.now();
      const c0 = pC / E;
      if (npad === n) out.set(v.subarray(c0, c0 + m * n), oo);
      else for (let i = 0; i < m; i++) out.set(v.subarray(c0 + i * npad, c0 + i * npad + n), oo + i * n);
      this.counters.wasmCalls++;
      this.counters.wasmCopyBytes += (extA + extB + (bias ? n : 0) + m * n) * E;
      this.counters.wasmCopyMs += t1 - t0 + (performance.now() - t2);
    } finally {
      this.allocator?.freeInternal(block);
    }
    return true;
  }

  private runJobs(jobs: (Job | null)[]): void {
    if (jobs.length > 1 && !this.pool) {
      try {
        this.pool = new ThreadPool(this.memory!, modules().shared!, this.threads);
      } catch (e) {
        // Correct on one thread, only slower: say why once (the backend's threadsNote) and go on.
        this.threadsNote = `worker threads unavailable, running on one thread: ${e instanceof Error ? e.message : String(e)}`;
        this.threads = 1;
        jobs = [merge(jobs)];
      }
    }
    if (this.pool) this.pool.run(this.exports!, jobs);
    else for (const j of jobs) if (j) runJob(this.exports!, j);
  }

  /**
   * The memory, at least `bytes` long, counted live under `internal` until the call frees the block: the
   * pooled block when the size is unchanged, else the memory grows and the old size's block is dropped.
   */
  private acquire(bytes: number): Block {
    const alloc = this.allocator;
    if (!this.memory || this.memory.buffer.byteLength < bytes) {
      const stale = this.token && alloc ? alloc.allocInternal('wasm', this.token.bytes, 'wasm memory') : null;
      this.grow(bytes);
      if (stale) alloc!.freeInternal(stale, false);
    }
    if (!alloc) return null as unknown as Block;
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

/** One job covering the rows of all (used when threads are given up on mid-call). */
function merge(jobs: readonly (Job | null)[]): Job {
  const real = jobs.filter((j): j is Job => j !== null);
  const first = real[0], last = real[real.length - 1];
  const g = [...first.gemm];
  g[11] = last.gemm[11];
  return { ...first, gemm: g };
}
