/**
 * `device.memory`: the user-facing view of the allocator — exact stats, peak reset, labels, traces.
 */
import { currentContext, innermost, runWith } from '../context.js';
import { InvalidArgumentError } from '../errors.js';
import { checkFunction, describe } from '../args.js';
import { Tensor } from '../tensor.js';
import type { Allocator, MemoryStats } from './allocator.js';
import type { AllocationTrace, TraceOptions } from './trace.js';
import type { MemorySnapshot } from './snapshot.js';
import type { Profile } from './profile.js';
import type { KernelTiming } from '../backends/backend.js';

let nextTrack = 1;

/** A device's allocator as users see it: exact stats, peaks, labels, traces (`device.memory`). */
export class Memory {
  /** @internal Made by the device (`device.memory`). */
  constructor(private readonly allocator: Allocator) {}

  /** Exact byte counts (see MemoryStats). */
  stats(): MemoryStats {
    return this.allocator.stats();
  }

  /** Peak (total and per label) restarts from the current live bytes. */
  resetPeak(): void {
    this.allocator.resetPeak();
  }

  /**
   * Labels every allocation made while `fn` runs (the innermost label wins). `fn` may be async; the label
   * holds until it settles, for that async call only.
   */
  scope<T>(label: string, fn: () => T): T {
    if (typeof label !== 'string') throw new InvalidArgumentError(`memory.scope: the label must be a string, got ${describe(label)}`);
    checkFunction('memory.scope', fn);
    return runWith({ label: { owner: this.allocator, label, parent: currentContext().label } }, fn);
  }

  /** Moves a tensor's bytes to another label (e.g. parameters created before labelling). */
  relabel(t: Tensor, label: string): void {
    if (!(t instanceof Tensor)) throw new InvalidArgumentError(`memory.relabel expects a Tensor, got ${describe(t)}`);
    if (typeof label !== 'string') throw new InvalidArgumentError(`memory.relabel: the label must be a string, got ${describe(label)}`);
    this.allocator.relabel(t._storage.block, label);
  }

  /**
   * Marks `fn` as a phase (forward solve, step n, VJP, ...): a slice in Chrome traces and the `phase` of the
   * storages allocated inside it. Nested phases stack on their outermost phase's track. `fn` may be async.
   * Recorded while a trace runs (`startTrace`); otherwise `fn` runs as is, at no cost. `odeint` marks its
   * forward solve, each step, the backward sweep, each backward step and its VJPs.
   */
  phase<T>(name: string, fn: () => T): T {
    checkFunction('memory.phase', fn);
    // Phases cost a context switch; they matter only to a trace, so without one `fn` just runs.
    if (!this.allocator.tracing) return fn();
    const parent = innermost(currentContext().phase, this.allocator);
    const track = parent?.track ?? nextTrack++;
    this.allocator.markPhase('begin', name, track);
    const end = () => this.allocator.markPhase('end', name, track);
    let result: T;
    try {
      result = runWith({ phase: { owner: this.allocator, name, track, parent: currentContext().phase } }, fn);
    } catch (e) {
      end();
      throw e;
    }
    if (result instanceof Promise) return result.finally(end) as T;
    end();
    return result;
  }

  /**
   * Runs `fn` and reports what it allocated, kept and peaked at, and per op its calls, bytes and host time
   * (like `tf.profile`; print with `profileTable`). On webgpu with `timestamp-query`, `kernels` adds the GPU
   * time of each kernel (every dispatch then runs in its own timed pass, which slows `fn` somewhat). Every
   * allocation on this device while `fn` runs counts, including concurrent work.
   */
  async profile<T>(fn: () => T | Promise<T>): Promise<Profile<T>> {
    checkFunction('memory.profile', fn);
    const a = this.allocator;
    const before = a.stats();
    const rec = a.beginProfile();
    const timed = a.backend.startKernelTiming?.() ?? false;
    const t0 = performance.now();
    let result: T;
    let kernels: KernelTiming[] | undefined;
    try {
      result = await fn();
    } finally {
      a.endProfile(rec);
      if (timed) kernels = await a.backend.stopKernelTiming!();
    }
    const after = a.stats();
    const ops = [...rec.ops.values()].sort((x, y) => y.bytesAdded - x.bytesAdded || y.hostMs - x.hostMs);
    return {
      result,
      newBytes: after.liveBytes - before.liveBytes,
      newTensors: after.liveTensors - before.liveTensors,
      peakBytes: rec.peak - before.liveBytes,
      totalMs: performance.now() - t0,
      ops,
      ...(kernels ? { kernels } : {}),
    };
  }

  /** Every live storage (id, label, shape, dtype, bytes, op, phase, stack) and the pool's contents. */
  snapshot(): MemorySnapshot {
    return this.allocator.snapshot();
  }

  /**
   * Starts recording alloc/free events and phases (replacing any running trace), keeping the newest
   * `maxEvents` (default 262 144); `stacks: true` captures each allocation's stack.
   */
  startTrace(options?: TraceOptions): AllocationTrace {
    return this.allocator.startTrace(options);
  }

  /** Stops recording; returns the trace (export with `toChromeTrace()` / `toCSV()`). */
  stopTrace(): AllocationTrace | null {
    return this.allocator.stopTrace();
  }

  /** Frees the pool's reserved buffers. */
  emptyCache(): void {
    this.allocator.emptyCache();
  }
}
