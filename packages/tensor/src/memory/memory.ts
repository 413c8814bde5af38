/**
 * `device.memory`: the user-facing view of the allocator — exact stats, peak reset, labels, traces.
 */
import { currentContext, runWith } from '../context.js';
import { InvalidArgumentError } from '../errors.js';
import { checkFunction, describe } from '../host-data.js';
import { Tensor } from '../tensor.js';
import type { Allocator, MemoryStats } from './allocator.js';
import type { AllocationTrace } from './trace.js';

/** A device's allocator as users see it: exact stats, peaks, labels, traces (`device.memory`). */
export class Memory {
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

  /** Starts recording alloc/free events (replacing any running trace). */
  startTrace(): AllocationTrace {
    return this.allocator.startTrace();
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
