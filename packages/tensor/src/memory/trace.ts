/**
 * Allocation trace: every alloc/free with a timestamp and label, exportable as Chrome trace-event JSON
 * (opens in Perfetto or chrome://tracing as counter tracks) and as CSV.
 */
export interface TraceEvent {
  /** Milliseconds since the trace started. */
  timeMs: number;
  kind: 'alloc' | 'free';
  /** Buffer id (unique per allocator). */
  id: number;
  /** Bytes the tensor storage holds (element count × element size). */
  bytes: number;
  label: string;
  /** Total live bytes right after the event. */
  liveBytes: number;
  /** Live bytes of this event's label right after the event. */
  labelLiveBytes: number;
}

/** The alloc/free events recorded between `memory.startTrace()` and `stopTrace()`. */
export class AllocationTrace {
  readonly events: TraceEvent[] = [];
  private readonly t0 = performance.now();

  record(e: Omit<TraceEvent, 'timeMs'>): void {
    this.events.push({ timeMs: performance.now() - this.t0, ...e });
  }

  /** Chrome trace-event JSON: one counter track of live bytes per label plus the total. */
  toChromeTrace(name = 'sympode memory'): string {
    const traceEvents: object[] = [
      { name: 'process_name', ph: 'M', pid: 1, tid: 0, args: { name } },
    ];
    const perLabel: Record<string, number> = {};
    for (const e of this.events) {
      perLabel[e.label] = e.labelLiveBytes;
      const ts = Math.round(e.timeMs * 1000);
      traceEvents.push({ name: 'live bytes', ph: 'C', ts, pid: 1, tid: 0, args: { ...perLabel } });
      traceEvents.push({ name: 'total live bytes', ph: 'C', ts, pid: 1, tid: 0, args: { total: e.liveBytes } });
      traceEvents.push({
        name: `${e.kind} ${e.label}`, ph: 'i', s: 't', ts, pid: 1, tid: 0,
        args: { id: e.id, bytes: e.bytes },
      });
    }
    return JSON.stringify({ traceEvents, displayTimeUnit: 'ms' });
  }

  toCSV(): string {
    const rows = ['time_ms,event,id,bytes,label,live_bytes,label_live_bytes'];
    for (const e of this.events) {
      const label = /[",\n]/.test(e.label) ? `"${e.label.replace(/"/g, '""')}"` : e.label;
      rows.push(`${e.timeMs.toFixed(4)},${e.kind},${e.id},${e.bytes},${label},${e.liveBytes},${e.labelLiveBytes}`);
    }
    return rows.join('\n') + '\n';
  }
}
