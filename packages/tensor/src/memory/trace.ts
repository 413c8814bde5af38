/**
 * Allocation trace: alloc/free events with the op, shape and phase that caused them, and phase begin/end
 * marks. Bounded: a ring buffer of `maxEvents` (PyTorch's `max_entries`) keeps the newest events and counts
 * what it dropped. Exported as Chrome trace-event JSON (Perfetto, chrome://tracing: counter tracks of live
 * bytes per label, phase slices above them, one instant per allocation) or CSV, in chunks, so a large trace
 * is streamed to a file instead of built as one string.
 */
import { InvalidArgumentError } from '../errors.js';

/**
 * One alloc or free, or the begin/end of a phase. A storage moved to another label (`memory.relabel`) shows
 * as a free under the old label and an alloc under the new one, both with op 'relabel' and the same id.
 */
export interface TraceEvent {
  /** Milliseconds since the trace started. */
  timeMs: number;
  kind: 'alloc' | 'free' | 'begin' | 'end';
  /** Buffer id (unique per allocator); for phases, the phase track id. */
  id: number;
  /** Bytes the tensor storage holds (element count × element size); 0 for phases. */
  bytes: number;
  /** Memory label; for phases, the phase name. */
  label: string;
  /** Total live bytes right after the event. */
  liveBytes: number;
  /** Live bytes of this event's label right after the event (0 for phases). */
  labelLiveBytes: number;
  /** The op that made the storage ('tensor', 'matmul', 'add', ...; '' when not known yet). */
  op: string;
  /** Shape of the storage's first tensor (empty for phases). */
  shape: readonly number[];
  /** Shapes of the op's inputs, when the op recorded them. */
  inputShapes?: readonly (readonly number[])[];
  /** The innermost phase open when the event happened ('' outside any). */
  phase: string;
  /** JavaScript stack of the allocation, when the trace captures stacks. */
  stack?: string;
}

/** Options of `memory.startTrace`. */
export interface TraceOptions {
  /** Most events kept (the newest win; older ones are counted in `dropped`). Default 262 144 (~60 MiB). */
  maxEvents?: number;
  /** Capture the JavaScript stack of each allocation (costly: see bench/RESULTS.md). Default false. */
  stacks?: boolean;
}

/** What a bounded trace dropped to stay within `maxEvents`. */
export interface DroppedSummary {
  events: number;
  allocs: number;
  frees: number;
  /** Bytes allocated by the dropped alloc events. */
  allocBytes: number;
  /** Time of the newest dropped event, in ms since the start (-1 when nothing was dropped). */
  untilMs: number;
}

/** Default ring size: about 60 MiB of JS heap (~240 bytes per event, measured by bench/profiling.ts). */
export const DEFAULT_MAX_EVENTS = 1 << 18;

/** The events recorded between `memory.startTrace()` and `stopTrace()` (the newest `maxEvents` of them). */
export class AllocationTrace {
  readonly maxEvents: number;
  readonly stacks: boolean;
  private readonly ring: TraceEvent[] = [];
  private head = 0;
  private readonly t0 = performance.now();
  private readonly drop: DroppedSummary = { events: 0, allocs: 0, frees: 0, allocBytes: 0, untilMs: -1 };

  constructor(options: TraceOptions = {}) {
    const { maxEvents = DEFAULT_MAX_EVENTS, stacks = false } = options;
    if (!Number.isInteger(maxEvents) || maxEvents < 1) {
      throw new InvalidArgumentError(`startTrace: maxEvents must be a positive integer (got ${String(maxEvents)})`);
    }
    this.maxEvents = maxEvents;
    this.stacks = stacks === true;
  }

  /** Adds an event (stamped now) and returns it, so the op that allocated can be filled in afterwards. */
  record(e: Omit<TraceEvent, 'timeMs'>): TraceEvent {
    const event: TraceEvent = { timeMs: performance.now() - this.t0, ...e };
    if (this.ring.length < this.maxEvents) {
      this.ring.push(event);
      return event;
    }
    const old = this.ring[this.head];
    this.drop.events++;
    if (old.kind === 'alloc') {
      this.drop.allocs++;
      this.drop.allocBytes += old.bytes;
    } else if (old.kind === 'free') this.drop.frees++;
    this.drop.untilMs = old.timeMs;
    this.ring[this.head] = event;
    this.head = (this.head + 1) % this.maxEvents;
    return event;
  }

  /** The kept events, oldest first. */
  get events(): TraceEvent[] {
    return [...this.ring.slice(this.head), ...this.ring.slice(0, this.head)];
  }

  /** What was dropped to stay within `maxEvents`. */
  get dropped(): DroppedSummary {
    return { ...this.drop };
  }

  /** Chrome trace-event JSON in chunks of about `chunkEvents` events: write each to a stream. */
  *chromeTraceChunks(name = 'sympode memory', chunkEvents = 4096): Generator<string> {
    const meta: object[] = [{ name: 'process_name', ph: 'M', pid: 1, tid: 0, args: { name } }];
    if (this.drop.events > 0) meta.push({ name: 'dropped events', ph: 'i', s: 'g', ts: 0, pid: 1, tid: 0, args: this.dropped });
    yield `{"displayTimeUnit":"ms","otherData":${JSON.stringify({ dropped: this.drop })},"traceEvents":[` +
      meta.map((m) => JSON.stringify(m)).join(',');
    const perLabel: Record<string, number> = {};
    let parts: string[] = [];
    for (const e of this.ordered()) {
      const ts = Math.round(e.timeMs * 1000);
      if (e.kind === 'begin' || e.kind === 'end') {
        parts.push(JSON.stringify({ name: e.label, cat: 'phase', ph: e.kind === 'begin' ? 'b' : 'e', id: e.id, ts, pid: 1, tid: 0 }));
      } else {
        perLabel[e.label] = e.labelLiveBytes;
        parts.push(
          JSON.stringify({ name: 'live bytes', ph: 'C', ts, pid: 1, tid: 0, args: { ...perLabel } }),
          JSON.stringify({ name: 'total live bytes', ph: 'C', ts, pid: 1, tid: 0, args: { total: e.liveBytes } }),
          JSON.stringify({
            name: `${e.kind} ${e.op || e.label}`, ph: 'i', s: 't', ts, pid: 1, tid: 0,
            args: { id: e.id, bytes: e.bytes, label: e.label, op: e.op, shape: e.shape, inputShapes: e.inputShapes, phase: e.phase, stack: e.stack },
          }),
        );
      }
      if (parts.length >= chunkEvents) {
        yield ',' + parts.join(',');
        parts = [];
      }
    }
    if (parts.length) yield ',' + parts.join(',');
    yield ']}';
  }

  /** Chrome trace-event JSON as one string (for small traces; stream `chromeTraceChunks()` for large ones). */
  toChromeTrace(name = 'sympode memory'): string {
    return [...this.chromeTraceChunks(name)].join('');
  }

  /** CSV in chunks (header first). */
  *csvChunks(chunkRows = 8192): Generator<string> {
    yield 'time_ms,event,id,bytes,label,live_bytes,label_live_bytes,op,shape,phase\n';
    let rows: string[] = [];
    for (const e of this.ordered()) {
      rows.push(
        [e.timeMs.toFixed(4), e.kind, e.id, e.bytes, csv(e.label), e.liveBytes, e.labelLiveBytes, csv(e.op), csv(e.shape.join('x')), csv(e.phase)].join(','),
      );
      if (rows.length >= chunkRows) {
        yield rows.join('\n') + '\n';
        rows = [];
      }
    }
    if (rows.length) yield rows.join('\n') + '\n';
  }

  /** CSV as one string: one row per event. */
  toCSV(): string {
    return [...this.csvChunks()].join('');
  }

  private *ordered(): Generator<TraceEvent> {
    for (let i = this.head; i < this.ring.length; i++) yield this.ring[i];
    for (let i = 0; i < this.head; i++) yield this.ring[i];
  }
}

function csv(v: string): string {
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}
