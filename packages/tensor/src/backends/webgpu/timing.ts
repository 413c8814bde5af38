/**
 * GPU time per kernel for `memory.profile`, from timestamp queries (adapters with `timestamp-query`). While
 * a timer runs, every dispatch gets its own compute pass with a begin and an end timestamp; at each submit the
 * timestamps are resolved into a buffer and copied to a staging buffer (both from the allocator, label
 * `internal`), read back asynchronously and summed per kernel. Timing costs a pass per dispatch, so it is
 * on only while a profile runs.
 */
import type { KernelTiming } from '../backend.js';
import type { Allocator, Block } from '../../memory/allocator.js';

const MAP_READ = 0x1;
/** Dispatches timed per submit (the queue submits every 16; the rest is margin). */
export const TIMED_PER_SUBMIT = 64;

export class GpuTimer {
  private readonly set: GPUQuerySet;
  private names: string[] = [];
  private readonly pending: Promise<void>[] = [];
  private readonly totals = new Map<string, KernelTiming>();
  private failure: unknown = null;

  constructor(
    device: GPUDevice,
    private readonly allocator: Allocator,
  ) {
    this.set = device.createQuerySet({ type: 'timestamp', count: 2 * TIMED_PER_SUBMIT });
  }

  /** Whether the current submit has room for another timed dispatch. */
  get full(): boolean {
    return this.names.length >= TIMED_PER_SUBMIT;
  }

  /** A compute pass that timestamps its start and end, for one dispatch of `kernel`. */
  pass(encoder: GPUCommandEncoder, kernel: string): GPUComputePassEncoder {
    const i = this.names.length;
    this.names.push(kernel);
    return encoder.beginComputePass({
      timestampWrites: { querySet: this.set, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 },
    });
  }

  /** Before the submit: resolve this submit's timestamps into a staging buffer (returned for `afterSubmit`). */
  resolve(encoder: GPUCommandEncoder): (() => void) | null {
    const n = this.names.length;
    if (n === 0) return null;
    const bytes = 2 * n * 8;
    const resolved = this.allocator.allocInternal('query', bytes, 'timestamps');
    const stage = this.allocator.allocInternal('staging', bytes, 'timestamps staging');
    encoder.resolveQuerySet(this.set, 0, 2 * n, resolved.raw as GPUBuffer, 0);
    encoder.copyBufferToBuffer(resolved.raw as GPUBuffer, 0, stage.raw as GPUBuffer, 0, bytes);
    const names = this.names;
    this.names = [];
    return () => this.pending.push(this.read(names, resolved, stage, bytes));
  }

  /** Waits for every read and returns the totals, slowest kernel first; frees the query set. */
  async finish(): Promise<KernelTiming[]> {
    await Promise.all(this.pending);
    this.set.destroy();
    if (this.failure) throw this.failure;
    return [...this.totals.values()].sort((a, b) => b.gpuMs - a.gpuMs);
  }

  private async read(names: string[], resolved: Block, stage: Block, bytes: number): Promise<void> {
    const buf = stage.raw as GPUBuffer;
    try {
      await buf.mapAsync(MAP_READ, 0, bytes);
      const t = new BigUint64Array(buf.getMappedRange(0, bytes).slice(0));
      buf.unmap();
      names.forEach((name, i) => {
        const ns = Number(t[2 * i + 1] - t[2 * i]);
        let k = this.totals.get(name);
        if (!k) this.totals.set(name, (k = { kernel: name, dispatches: 0, gpuMs: 0 }));
        k.dispatches++;
        k.gpuMs += Math.max(0, ns) / 1e6;
      });
    } catch (e) {
      this.failure ??= e;
    } finally {
      this.allocator.freeInternal(resolved, false);
      this.allocator.freeInternal(stage, false);
    }
  }
}
