/**
 * Workers that run the cpu backend's WebAssembly kernels on its shared memory: Node's worker_threads (Node,
 * Deno, Bun; reached through `process.getBuiltinModule`, so a browser bundle imports nothing), or Web Workers
 * when the backend itself runs in a cross-origin isolated Web Worker. The calling thread posts a job into a
 * worker's slot of the control block (the memory's first CTRL_BYTES) and wakes it with Atomics.notify; it
 * waits with Atomics.wait, which a page's main thread may not do, so there a backend runs one thread.
 * A job is a row range of one GEMM: which thread computes an output never changes its value, so
 * the pool never waits for a worker to start: a product uses the workers that are running (some runtimes
 * start a worker only once the caller's event loop turns).
 */
import { DeviceError } from '../../errors.js';
import type { WasmMemory, WasmModule } from './api.js';
import type { GemmExports } from './module.js';

/** Bytes at the start of the memory reserved for the control block (SLOT ints per worker). */
export const CTRL_BYTES = 8192;
const SLOT = 32;
/** The most threads (the control block's slots). */
export const MAX_THREADS = CTRL_BYTES / 4 / SLOT;
// Slot layout: SEQ (job number), DONE (last job finished), FAILED (1 after an exception), READY, then ARGS.
const SEQ = 0, DONE = 1, FAILED = 2, READY = 3, ARGS = 4;

/** One job: gemm_<dtype>(…14 args), then bias_<dtype>(c, bias, i0, i1, npad) when bias ≠ 0, then tanh_f32. */
export interface Job {
  f64: boolean;
  /** a, ar, ac, b, br, bc, c, m, n, k, i0, i1, pa, pb. */
  gemm: readonly number[];
  /** Byte offset of the padded bias (0: none) and the padded row length. */
  bias: number;
  npad: number;
  /** Apply tanh32 to the rows (float32 only). */
  tanh: boolean;
}

/** Runs a job on an instance (the calling thread's and every worker's code: the worker has its own copy). */
export function runJob(x: GemmExports, j: Job): void {
  const g = j.gemm as Parameters<GemmExports['gemm_f32']>;
  if (j.f64) x.gemm_f64(...g); else x.gemm_f32(...g);
  if (j.bias !== 0) (j.f64 ? x.bias_f64 : x.bias_f32)(g[6], j.bias, g[10], g[11], j.npad);
  if (j.tanh) x.tanh_f32(g[6], g[10], g[11], j.npad);
}

// The worker's loop: the same steps as runJob, on its slot's args (f64, 14 gemm args, bias, npad, tanh), once
// it has { memory, wasmModule, slot } (from workerData in Node, from the first message in a Web Worker).
const LOOP = `
function run({ memory, wasmModule, slot }) {
  const x = new WebAssembly.Instance(wasmModule, { env: { memory } }).exports;
  const ctrl = new Int32Array(memory.buffer, 0, ${CTRL_BYTES / 4});
  const s0 = slot * ${SLOT};
  Atomics.store(ctrl, s0 + ${READY}, 1);
  Atomics.notify(ctrl, s0 + ${READY});
  let seen = 0;
  for (;;) {
    Atomics.wait(ctrl, s0 + ${SEQ}, seen);
    const seq = Atomics.load(ctrl, s0 + ${SEQ});
    if (seq === seen) continue;
    seen = seq;
    try {
      const a = Array.from(ctrl.subarray(s0 + ${ARGS}, s0 + ${ARGS} + 18));
      const g = a.slice(1, 15);
      if (a[0]) x.gemm_f64(...g); else x.gemm_f32(...g);
      if (a[15] !== 0) (a[0] ? x.bias_f64 : x.bias_f32)(g[6], a[15], g[10], g[11], a[16]);
      if (a[17]) x.tanh_f32(g[6], g[10], g[11], a[16]);
    } catch (e) {
      Atomics.store(ctrl, s0 + ${FAILED}, 1);
    }
    Atomics.store(ctrl, s0 + ${DONE}, seq);
    Atomics.notify(ctrl, s0 + ${DONE});
  }
}
`;
const NODE_WORKER = `${LOOP}\nrun(process.getBuiltinModule('node:worker_threads').workerData);\n`;
const WEB_WORKER = `${LOOP}\nonmessage = (e) => run(e.data);\n`;

/** A started worker, whichever the runtime's kind. */
interface Spawned {
  terminate(): void;
}

/** Starts one worker on { memory, wasmModule, slot }; `onError` hears of its failure (asynchronously). */
type Spawn = (data: { memory: WasmMemory; wasmModule: WasmModule; slot: number }, onError: (why: string) => void) => Spawned;

interface NodeWorker {
  unref(): void;
  terminate(): Promise<number>;
  on(event: 'error', listener: (e: unknown) => void): void;
}
interface WebWorker {
  postMessage(data: unknown): void;
  terminate(): void;
  onerror: ((e: { message?: string }) => void) | null;
}
interface Globals {
  process?: { getBuiltinModule?: (id: string) => unknown };
  crossOriginIsolated?: boolean;
  WorkerGlobalScope?: unknown;
  Worker?: new (url: string) => WebWorker;
  Blob?: new (parts: string[], options: { type: string }) => unknown;
  URL?: { createObjectURL(blob: unknown): string };
  navigator?: { hardwareConcurrency?: number };
}
const g = globalThis as Globals;

/**
 * How this runtime starts workers that may block and share memory: Node's worker_threads (Node, Deno, Bun),
 * or Web Workers from inside a cross-origin isolated Web Worker (a page's main thread may not Atomics.wait,
 * and without isolation there is no shared memory); undefined elsewhere (one thread). Found once per process
 * (every backend asks; a Web Worker's code is one object URL).
 */
let found: { spawn: Spawn | undefined } | undefined;
function spawner(): Spawn | undefined {
  found ??= { spawn: findSpawner() };
  return found.spawn;
}

function findSpawner(): Spawn | undefined {
  let wt: { Worker: new (code: string, options: { eval: true; workerData: unknown }) => NodeWorker } | undefined;
  try {
    wt = g.process?.getBuiltinModule?.('node:worker_threads') as typeof wt;
  } catch {
    wt = undefined;
  }
  if (wt) {
    const { Worker } = wt;
    return (data, onError) => {
      const w = new Worker(NODE_WORKER, { eval: true, workerData: data });
      w.unref();
      w.on('error', (e) => onError(e instanceof Error ? e.message : String(e)));
      return { terminate: () => void w.terminate() };
    };
  }
  if (g.WorkerGlobalScope !== undefined && g.crossOriginIsolated === true && g.Worker && g.Blob && g.URL) {
    const url = g.URL.createObjectURL(new g.Blob([WEB_WORKER], { type: 'text/javascript' }));
    const Worker = g.Worker;
    return (data, onError) => {
      const w = new Worker(url);
      w.onerror = (e) => onError(e.message ?? 'a Web Worker failed');
      w.postMessage(data);
      return { terminate: () => w.terminate() };
    };
  }
  return undefined;
}

/** The cores this runtime reports (1 where it cannot run blocking workers on shared memory). */
export function availableThreads(): number {
  if (!spawner()) return 1;
  const os = g.process?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number; cpus(): unknown[] } | undefined;
  const n = os ? (os.availableParallelism?.() ?? os.cpus().length) : (g.navigator?.hardwareConcurrency ?? 1);
  return Math.max(1, Math.min(MAX_THREADS, n));
}

/** Workers 1 … count−1 on one shared memory (thread 0 is the caller). */
export class ThreadPool {
  private readonly workers: Spawned[] = [];
  private readonly ctrl: Int32Array;
  private seq = 0;
  private started = 1;
  /** Why a worker failed ('' while none did). */
  failure = '';

  /** Starts `count − 1` workers (without waiting for them); throws when the runtime has no worker threads. */
  constructor(memory: WasmMemory, wasmModule: WasmModule, readonly count: number) {
    const spawn = spawner();
    if (!spawn) throw new DeviceError('worker threads are not available in this runtime');
    this.ctrl = new Int32Array(memory.buffer, 0, CTRL_BYTES / 4);
    this.ctrl.fill(0);
    try {
      for (let w = 1; w < count; w++) {
        this.workers.push(spawn({ memory, wasmModule, slot: w }, (why) => {
          this.failure ||= `a cpu worker thread failed: ${why}`;
        }));
      }
    } catch (e) {
      this.terminate();
      throw e;
    }
  }

  /** Threads that can take a job now: the caller and the workers 1 … that have started, in order. */
  get running(): number {
    while (this.started < this.count && Atomics.load(this.ctrl, this.started * SLOT + READY) === 1) this.started++;
    return this.started;
  }

  /** Resolves when every worker runs, or after `timeoutMs` (then false): for benchmarks and tests. */
  async whenRunning(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.running < this.count) {
      if (Date.now() > deadline || this.failure) return false;
      await new Promise((r) => setTimeout(r, 2));
    }
    return true;
  }

  /** Runs jobs[0] here and jobs[w] on worker w (null: nothing for it), returning when all are done. */
  run(exports: GemmExports, jobs: readonly (Job | null)[]): void {
    const seq = ++this.seq;
    for (let w = 1; w < jobs.length; w++) {
      const j = jobs[w];
      if (!j) continue;
      const s0 = w * SLOT;
      const c = this.ctrl;
      c[s0 + ARGS] = j.f64 ? 1 : 0;
      for (let i = 0; i < 14; i++) c[s0 + ARGS + 1 + i] = j.gemm[i];
      c[s0 + ARGS + 15] = j.bias;
      c[s0 + ARGS + 16] = j.npad;
      c[s0 + ARGS + 17] = j.tanh ? 1 : 0;
      Atomics.store(c, s0 + SEQ, seq);
      Atomics.notify(c, s0 + SEQ);
    }
    let failed = false;
    try {
      if (jobs[0]) runJob(exports, jobs[0]);
    } finally {
      // Every posted job is waited for, even when this thread's part threw, before the memory is reused.
      for (let w = 1; w < jobs.length; w++) {
        if (!jobs[w]) continue;
        const s0 = w * SLOT;
        for (let d = Atomics.load(this.ctrl, s0 + DONE); d !== seq; d = Atomics.load(this.ctrl, s0 + DONE)) {
          Atomics.wait(this.ctrl, s0 + DONE, d);
        }
        if (Atomics.exchange(this.ctrl, s0 + FAILED, 0) !== 0) failed = true;
      }
    }
    if (failed) throw new DeviceError('a cpu worker thread failed in a WebAssembly kernel');
  }

  /** Stops the workers (they hold the memory). */
  terminate(): void {
    for (const w of this.workers) w.terminate();
    this.workers.length = 0;
  }
}
