/**
 * The one allocator of a device. Every tensor storage is a Block from here, so the byte counts are exact:
 * `liveBytes` is Σ element count × element size over live storages; what the backend really allocates on
 * top (WebGPU's 4-byte minimum and alignment) is `paddingBytes`; freed buffers kept for reuse (pooled by
 * exact allocation size) are `reservedBytes`. The backend's own buffers (WebGPU's uniform ring, readback
 * staging, temporaries and scratch) come from here too (`allocInternal`), live under the label `internal`,
 * so `liveBytes + paddingBytes + reservedBytes` is what the device really holds.
 */
import type { Backend, BufferKind } from '../backends/backend.js';
import { currentContext, innermost } from '../context.js';
import { DeviceLimitError, SympodeError } from '../errors.js';
import { AllocationTrace, type TraceEvent, type TraceOptions } from './trace.js';
import type { MemorySnapshot } from './snapshot.js';
import { ProfileRecorder } from './profile.js';

/** The memory label of allocations made outside any `memory.scope`. */
export const DEFAULT_LABEL = 'unlabeled';

/** The memory label of the backend's own buffers (uniform ring, readback staging, temporaries, scratch). */
export const INTERNAL_LABEL = 'internal';

export interface Block {
  readonly id: number;
  /** Backend buffer. */
  readonly raw: unknown;
  /** Element count × element size. */
  readonly bytes: number;
  /** What the backend allocated (≥ bytes). */
  readonly allocBytes: number;
  label: string;
  freed: boolean;
  /** Shape of the first tensor on this storage. */
  readonly shape: readonly number[];
  /** The op that made it ('' until an op claims it: ops allocate their output, then record themselves). */
  op: string;
  inputShapes?: readonly (readonly number[])[];
  /** Innermost `memory.phase` open at allocation ('' outside any, and when no trace ran). */
  readonly phase: string;
  /** Allocation stack, while a trace with `stacks` runs. */
  readonly stack?: string;
  /** Its alloc event in the running trace, to fill in the op. */
  event?: TraceEvent;
  /** Allocation time while a profile runs (the op's host time ends at its record). */
  t0?: number;
  /** What the buffer is for, for the backend's own buffers (`allocInternal`); omitted for tensor storage. */
  readonly kind?: BufferKind;
}

/** Live and peak bytes and the allocation count of one memory label. */
export interface LabelStats {
  liveBytes: number;
  peakBytes: number;
  allocations: number;
}

/** Exact byte and buffer counts of a device's allocator (`device.memory.stats()`). */
export interface MemoryStats {
  /** Bytes held by live tensor storages (element count × element size). */
  liveBytes: number;
  /** Highest `liveBytes` since creation or the last `resetPeak()`. */
  peakBytes: number;
  /** Extra bytes the backend allocated for live storages beyond `liveBytes` (alignment, minimum size). */
  paddingBytes: number;
  /** Bytes of freed buffers the pool keeps for reuse (not live). */
  reservedBytes: number;
  /** Live tensor handles (several handles may share one storage, e.g. after `reshape`). */
  liveTensors: number;
  /** Live buffers: tensor storages plus the backend's own (label `internal`). */
  liveBuffers: number;
  /** Storage allocations since creation (pool hits included). */
  allocations: number;
  /** Live and peak bytes per label. */
  byLabel: Record<string, LabelStats>;
}

export class Allocator {
  private live = 0;
  private peak = 0;
  private padding = 0;
  private reserved = 0;
  private liveBuffers = 0;
  private allocations = 0;
  private nextId = 1;
  private readonly labels = new Map<string, LabelStats>();
  private readonly pool = new Map<number, unknown[]>();
  /** Freed staging and uniform buffers, by `kind:allocBytes` (storage temporaries share `pool`). */
  private readonly internalPool = new Map<string, { allocBytes: number; list: unknown[] }>();
  private readonly liveBlocks = new Set<Block>();
  /** Running profiles (nested or concurrent `memory.profile` calls each see every allocation). */
  private readonly profiles = new Set<ProfileRecorder>();
  private activeTrace: AllocationTrace | null = null;
  /** Set when the device is destroyed: its buffers are gone, so freed blocks are counted but not pooled. */
  private closed = false;
  /** Maintained by the device: live tensor handles. */
  liveTensors = 0;

  constructor(readonly backend: Backend) {
    backend.attachAllocator?.(this);
  }

  /** The label new allocations get: the innermost `memory.scope` of this allocator in the running call. */
  get currentLabel(): string {
    return innermost(currentContext().label, this)?.label ?? DEFAULT_LABEL;
  }

  /**
   * The innermost phase of this allocator in the running call. Phases are opened only while a trace runs
   * (`memory.phase`), so without one there is nothing to look up on the allocation path.
   */
  get currentPhase(): string {
    return this.activeTrace ? (innermost(currentContext().phase, this)?.name ?? '') : '';
  }

  alloc(elements: number, shape: readonly number[] = [elements], op = ''): Block {
    const bytes = elements * this.backend.elementBytes;
    const allocBytes = this.backend.allocationSize(bytes);
    const pooled = this.pool.get(allocBytes);
    let raw: unknown;
    if (pooled && pooled.length) {
      raw = pooled.pop();
      this.reserved -= allocBytes;
    } else {
      raw = this.create(allocBytes);
    }
    const trace = this.activeTrace;
    const block: Block = {
      id: this.nextId++, raw, bytes, allocBytes, label: this.currentLabel, freed: false, shape, op, phase: this.currentPhase,
      stack: trace?.stacks ? stackHere() : undefined,
    };
    this.allocations++;
    this.liveBuffers++;
    this.liveBlocks.add(block);
    if (this.profiles.size) {
      if (op === '') block.t0 = performance.now();
      else for (const p of this.profiles) p.add(op, bytes, 0);
    }
    this.padding += allocBytes - bytes;
    this.adjust(block.label, bytes, true);
    if (trace) {
      block.event = trace.record({
        kind: 'alloc', id: block.id, bytes, label: block.label, liveBytes: this.live,
        labelLiveBytes: this.labels.get(block.label)!.liveBytes, op, shape, phase: block.phase, stack: block.stack,
      });
    }
    return block;
  }

  /**
   * A new backend buffer. A backend's typed error (DeviceLimitError, DeviceError) goes on as it is; anything
   * else it throws (a cpu typed array too long or out of memory: RangeError) becomes a DeviceLimitError.
   */
  private create(allocBytes: number): unknown {
    try {
      return this.backend.createRaw(allocBytes);
    } catch (e) {
      if (e instanceof SympodeError) throw e;
      throw new DeviceLimitError(
        `a buffer of ${allocBytes} bytes cannot be allocated on ${this.backend.description} (${e instanceof Error ? e.message : String(e)}); ` +
          'nothing was allocated. Split the work into smaller batches or chunks, or free memory (device.memory.stats() shows what is live)',
        { cause: e },
      );
    }
  }


  free(block: Block): void {
    if (block.freed) throw new Error(`internal: block ${block.id} freed twice`);
    block.freed = true;
    block.event = undefined;
    this.liveBuffers--;
    this.liveBlocks.delete(block);
    this.padding -= block.allocBytes - block.bytes;
    this.adjust(block.label, -block.bytes, false);
    this.activeTrace?.record({
      kind: 'free', id: block.id, bytes: block.bytes, label: block.label, liveBytes: this.live,
      labelLiveBytes: this.labels.get(block.label)!.liveBytes, op: block.op, shape: block.shape, phase: this.currentPhase,
    });
    if (this.closed) return;
    let list = this.pool.get(block.allocBytes);
    if (!list) this.pool.set(block.allocBytes, (list = []));
    list.push(block.raw);
    this.reserved += block.allocBytes;
  }

  /**
   * A buffer for the backend's own use (`op` says which: 'uniform ring', 'readback staging', ...), counted
   * under INTERNAL_LABEL with all its allocated bytes while live: from the pool when one of the kind and size
   * is there, else created (`createRaw`, which may throw before anything is counted).
   */
  allocInternal(kind: BufferKind, bytes: number, op: string = kind): Block {
    const allocBytes = this.backend.allocationSize(bytes);
    const pooled = kind === 'storage' ? this.pool.get(allocBytes) : this.internalPool.get(`${kind}:${allocBytes}`)?.list;
    let raw: unknown;
    if (pooled && pooled.length) {
      raw = pooled.pop();
      this.reserved -= allocBytes;
    } else {
      raw = this.backend.createRaw(allocBytes, kind);
    }
    const shape = [Math.ceil(allocBytes / this.backend.elementBytes)];
    const block: Block = {
      id: this.nextId++, raw, bytes: allocBytes, allocBytes, label: INTERNAL_LABEL, freed: false, shape, op, phase: this.currentPhase, kind,
    };
    this.liveBuffers++;
    this.liveBlocks.add(block);
    this.adjust(INTERNAL_LABEL, allocBytes, true);
    this.activeTrace?.record({
      kind: 'alloc', id: block.id, bytes: allocBytes, label: INTERNAL_LABEL, liveBytes: this.live,
      labelLiveBytes: this.labels.get(INTERNAL_LABEL)!.liveBytes, op, shape, phase: block.phase,
    });
    return block;
  }

  /** Releases an internal buffer: into the pool (reserved) when `keep`, else destroyed. */
  freeInternal(block: Block, keep = true): void {
    if (block.freed) throw new Error(`internal: block ${block.id} freed twice`);
    block.freed = true;
    this.liveBuffers--;
    this.liveBlocks.delete(block);
    this.adjust(INTERNAL_LABEL, -block.bytes, false);
    this.activeTrace?.record({
      kind: 'free', id: block.id, bytes: block.bytes, label: INTERNAL_LABEL, liveBytes: this.live,
      labelLiveBytes: this.labels.get(INTERNAL_LABEL)!.liveBytes, op: block.op, shape: block.shape, phase: this.currentPhase,
    });
    if (!keep) {
      this.backend.destroyRaw(block.raw);
      return;
    }
    let list: unknown[] | undefined;
    if (block.kind === undefined || block.kind === 'storage') {
      list = this.pool.get(block.allocBytes);
      if (!list) this.pool.set(block.allocBytes, (list = []));
    } else {
      const key = `${block.kind}:${block.allocBytes}`;
      list = this.internalPool.get(key)?.list;
      if (!list) this.internalPool.set(key, { allocBytes: block.allocBytes, list: (list = []) });
    }
    list.push(block.raw);
    this.reserved += block.allocBytes;
  }

  /** Names the op that made a block (the first claim wins: views such as reshape share their source's). */
  annotate(block: Block, op: string, inputShapes: readonly (readonly number[])[], force = false): void {
    if (block.op !== '' && !force) {
      if (this.profiles.size) for (const p of this.profiles) p.add(op, 0, 0);
      return;
    }
    if (block.t0 !== undefined) {
      const ms = performance.now() - block.t0;
      for (const p of this.profiles) p.add(op, block.bytes, ms);
      block.t0 = undefined;
    }
    block.op = op;
    block.inputShapes = inputShapes;
    if (block.event) {
      block.event.op = op;
      block.event.inputShapes = inputShapes;
      block.event = undefined;
    }
  }

  /** Starts counting allocations for a profile; `endProfile` stops. */
  beginProfile(): ProfileRecorder {
    const p = new ProfileRecorder(this.live);
    this.profiles.add(p);
    return p;
  }
  endProfile(p: ProfileRecorder): void {
    this.profiles.delete(p);
  }

  /** Marks a phase boundary in the running trace. */
  markPhase(kind: 'begin' | 'end', name: string, track: number): void {
    this.activeTrace?.record({ kind, id: track, bytes: 0, label: name, liveBytes: this.live, labelLiveBytes: 0, op: '', shape: [], phase: name });
  }

  /** Every live storage and the pool's contents, now. */
  snapshot(): MemorySnapshot {
    const dtype = this.backend.dtype;
    const storages = [...this.liveBlocks].map((b) => ({
      id: b.id, label: b.label, shape: [...b.shape], dtype, bytes: b.bytes, allocBytes: b.allocBytes, op: b.op,
      ...(b.inputShapes ? { inputShapes: b.inputShapes.map((s) => [...s]) } : {}),
      phase: b.phase, ...(b.stack ? { stack: b.stack } : {}),
    }));
    const pool = [...this.pool, ...[...this.internalPool.values()].map((e) => [e.allocBytes, e.list] as const)]
      .filter(([, list]) => list.length > 0)
      .map(([allocBytes, list]) => ({ allocBytes, buffers: list.length }));
    return { stats: this.stats(), storages, pool };
  }

  /** Moves a live block's bytes to another label (e.g. a gradient that becomes `.grad`). */
  relabel(block: Block, label: string): void {
    if (block.freed || block.label === label) return;
    const from = this.labels.get(block.label)!;
    from.liveBytes -= block.bytes;
    const to = this.labelStats(label);
    to.liveBytes += block.bytes;
    to.peakBytes = Math.max(to.peakBytes, to.liveBytes);
    // In a trace, a move between labels is a free under the old label and an alloc under the new one (op
    // 'relabel', same id), so every label's series stays right; the total does not change.
    const common = { id: block.id, bytes: block.bytes, liveBytes: this.live, op: 'relabel', shape: block.shape, phase: this.currentPhase };
    this.activeTrace?.record({ kind: 'free', label: block.label, labelLiveBytes: from.liveBytes, ...common });
    this.activeTrace?.record({ kind: 'alloc', label, labelLiveBytes: to.liveBytes, ...common });
    block.label = label;
  }

  private labelStats(label: string): LabelStats {
    let s = this.labels.get(label);
    if (!s) this.labels.set(label, (s = { liveBytes: 0, peakBytes: 0, allocations: 0 }));
    return s;
  }

  private adjust(label: string, delta: number, isAlloc: boolean): void {
    this.live += delta;
    if (this.live > this.peak) this.peak = this.live;
    if (this.profiles.size) for (const p of this.profiles) if (this.live > p.peak) p.peak = this.live;
    const s = this.labelStats(label);
    s.liveBytes += delta;
    if (isAlloc) s.allocations++;
    if (s.liveBytes > s.peakBytes) s.peakBytes = s.liveBytes;
  }

  stats(): MemoryStats {
    const byLabel: Record<string, LabelStats> = {};
    for (const [k, v] of this.labels) byLabel[k] = { ...v };
    return {
      liveBytes: this.live,
      peakBytes: this.peak,
      paddingBytes: this.padding,
      reservedBytes: this.reserved,
      liveTensors: this.liveTensors,
      liveBuffers: this.liveBuffers,
      allocations: this.allocations,
      byLabel,
    };
  }

  /** Sets the peak (total and per label) to the current live bytes. */
  resetPeak(): void {
    this.peak = this.live;
    for (const s of this.labels.values()) s.peakBytes = s.liveBytes;
  }

  /** Whether a trace is recording. */
  get tracing(): boolean {
    return this.activeTrace !== null;
  }

  startTrace(options?: TraceOptions): AllocationTrace {
    this.activeTrace = new AllocationTrace(options);
    return this.activeTrace;
  }
  stopTrace(): AllocationTrace | null {
    const t = this.activeTrace;
    this.activeTrace = null;
    return t;
  }

  /** Empties the pool for good, before the backend's device is destroyed (later frees only count). */
  close(): void {
    this.emptyCache();
    this.closed = true;
  }

  /** Destroys every pooled buffer (reservedBytes → 0). */
  emptyCache(): void {
    if (this.closed) return;
    this.backend.flush();
    for (const list of this.pool.values()) for (const raw of list) this.backend.destroyRaw(raw);
    for (const { list } of this.internalPool.values()) for (const raw of list) this.backend.destroyRaw(raw);
    this.pool.clear();
    this.internalPool.clear();
    this.reserved = 0;
  }
}

/** The caller's stack without the allocator's own frames. */
function stackHere(): string {
  const lines = (new Error().stack ?? '').split('\n').slice(1);
  return lines.filter((l) => !/memory\/allocator|storage\.|device\.(ts|js)/.test(l)).slice(0, 12).join('\n');
}
