/**
 * One method's allocation trace as a timeline: live bytes per label after every alloc/free (what the stacked
 * charts draw), each event's op, shape, bytes, label and phase (what the HTML report's hover shows), and the
 * phase slices rebuilt from the trace's begin/end marks. Columnar, with a string table, so it embeds as
 * compact JSON.
 */
import type { AllocationTrace, DroppedSummary } from '@sympode/tensor';

/** The stacking order: what is constant sits at the bottom, what the gradient method decides above it. */
export const LABEL_ORDER: readonly string[] = ['internal', 'parameters', 'unlabeled', 'checkpoints', 'stages', 'network', 'adjoint', 'gradients', 'optimizer'];

/** A phase (`memory.phase`) as a slice: its name, nesting depth (0 = outermost) and time span in ms. */
export interface PhaseSlice {
  name: string;
  depth: number;
  t0: number;
  t1: number;
}

/** One gradient method's trace, columnar: index `i` of every per-event array is the i-th alloc/free event. */
export interface MethodTimeline {
  method: string;
  /** Labels with any bytes during the trace, in stacking order (bottom first). */
  labels: string[];
  /** Event time in ms since the trace started. */
  t: number[];
  /** Live bytes of each label when the trace started. */
  start: number[];
  /** `live[k][i]`: live bytes of `labels[k]` right after event i. */
  live: number[][];
  /** Total live bytes right after event i (the sum over labels). */
  total: number[];
  /** 1 for an alloc, 0 for a free. */
  alloc: number[];
  /** Bytes of the storage allocated or freed. */
  bytes: number[];
  /** Index into `labels`. */
  label: number[];
  /** Indices into `strings`: the op that made the storage, its shape ('20x50'), the innermost phase. */
  op: number[];
  shape: number[];
  phase: number[];
  strings: string[];
  phases: PhaseSlice[];
  /** Live bytes when the trace started (inputs and parameters): the table's peaks are above this. */
  baseBytes: number;
  /** The highest total live bytes in the trace. */
  peakBytes: number;
  /** What the bounded trace let go (its oldest events). */
  dropped: DroppedSummary;
}

/**
 * Builds the timeline of a stopped trace. `startByLabel` is the live bytes per label when the trace started
 * (from `memory.stats().byLabel`), so the stacked totals equal the allocator's live bytes. A label's bytes
 * before its first kept event are taken from that event, so they are exact even when the trace dropped events.
 */
export function timelineOf(method: string, trace: AllocationTrace, startByLabel: Record<string, number>): MethodTimeline {
  const events = trace.events;
  const current = new Map<string, number>(Object.entries(startByLabel));
  // A label's bytes before its first kept event follow from that event, exactly, even when the ring buffer
  // dropped older events; `startByLabel` is only needed for labels with no kept event.
  const firstSeen = new Set<string>();
  for (const e of events) {
    if ((e.kind !== 'alloc' && e.kind !== 'free') || firstSeen.has(e.label)) continue;
    firstSeen.add(e.label);
    current.set(e.label, e.labelLiveBytes + (e.kind === 'alloc' ? -e.bytes : e.bytes));
  }
  const seen = new Set<string>([...current].filter(([, b]) => b > 0).map(([l]) => l));
  for (const e of events) if ((e.kind === 'alloc' || e.kind === 'free') && e.bytes > 0) seen.add(e.label);
  const labels = [...LABEL_ORDER.filter((l) => seen.has(l)), ...[...seen].filter((l) => !LABEL_ORDER.includes(l)).sort()];
  const index = new Map(labels.map((l, k) => [l, k]));
  const strings: string[] = [];
  const stringIndex = new Map<string, number>();
  const intern = (s: string): number => {
    let k = stringIndex.get(s);
    if (k === undefined) {
      k = strings.push(s) - 1;
      stringIndex.set(s, k);
    }
    return k;
  };
  const tl: MethodTimeline = {
    method, labels, t: [], start: labels.map((l) => current.get(l) ?? 0), live: labels.map(() => []), total: [], alloc: [], bytes: [], label: [], op: [], shape: [], phase: [],
    strings, phases: [], baseBytes: 0, peakBytes: 0, dropped: trace.dropped,
  };
  tl.baseBytes = labels.reduce((s, l) => s + (current.get(l) ?? 0), 0);
  tl.peakBytes = tl.baseBytes;
  const open = new Map<number, PhaseSlice[]>(); // per phase track, the stack of open slices
  let lastT = 0;
  for (const e of events) {
    lastT = e.timeMs;
    if (e.kind === 'begin') {
      const stack = open.get(e.id) ?? [];
      open.set(e.id, stack);
      stack.push({ name: e.label, depth: stack.length, t0: e.timeMs, t1: e.timeMs });
      continue;
    }
    if (e.kind === 'end') {
      const stack = open.get(e.id);
      const k = stack ? stack.map((s) => s.name).lastIndexOf(e.label) : -1;
      // An end whose begin the ring buffer dropped: the slice started before the kept events.
      const slice = k >= 0 ? stack!.splice(k, stack!.length - k)[0]! : { name: e.label, depth: 0, t0: events[0]!.timeMs, t1: 0 };
      slice.t1 = e.timeMs;
      tl.phases.push(slice);
      continue;
    }
    current.set(e.label, e.labelLiveBytes);
    tl.t.push(e.timeMs);
    labels.forEach((l, k) => tl.live[k]!.push(current.get(l) ?? 0));
    const total = labels.reduce((s, l) => s + (current.get(l) ?? 0), 0);
    tl.total.push(total);
    if (total > tl.peakBytes) tl.peakBytes = total;
    tl.alloc.push(e.kind === 'alloc' ? 1 : 0);
    tl.bytes.push(e.bytes);
    tl.label.push(index.get(e.label) ?? 0);
    tl.op.push(intern(e.op));
    tl.shape.push(intern(e.shape.join('x')));
    tl.phase.push(intern(e.phase));
  }
  for (const stack of open.values()) for (const s of stack) tl.phases.push({ ...s, t1: lastT });
  tl.phases.sort((a, b) => a.depth - b.depth || a.t0 - b.t0);
  return tl;
}

/**
 * The timelines as CSV, one row per event and method: the numbers every stacked memory chart draws
 * (`method,time_ms,event,op,shape,bytes,label,phase,total_bytes,<one column per label>`).
 */
export function* timelineCsvChunks(timelines: readonly MethodTimeline[]): Generator<string> {
  const labels = [...new Set(timelines.flatMap((t) => t.labels))];
  labels.sort((a, b) => labelRank(a) - labelRank(b));
  yield ['method', 'time_ms', 'event', 'op', 'shape', 'bytes', 'label', 'phase', 'total_bytes', ...labels.map((l) => `${l}_bytes`)].join(',') + '\n';
  for (const tl of timelines) {
    const cols = labels.map((l) => tl.labels.indexOf(l));
    const rows: string[] = [];
    for (let i = 0; i < tl.t.length; i++) {
      rows.push([
        tl.method, tl.t[i]!.toFixed(4), tl.alloc[i] ? 'alloc' : 'free', csv(tl.strings[tl.op[i]!]!), tl.strings[tl.shape[i]!], tl.bytes[i],
        csv(tl.labels[tl.label[i]!]!), csv(tl.strings[tl.phase[i]!]!), tl.total[i], ...cols.map((k) => (k < 0 ? 0 : tl.live[k]![i])),
      ].join(','));
    }
    yield rows.join('\n') + (rows.length ? '\n' : '');
  }
}

/** Where `label` goes in the stack (`LABEL_ORDER`; other labels after those). */
export function labelRank(label: string): number {
  const k = LABEL_ORDER.indexOf(label);
  return k < 0 ? LABEL_ORDER.length : k;
}

function csv(v: string): string {
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}
