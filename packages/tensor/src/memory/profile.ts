/**
 * `memory.profile(fn)`, like `tf.profile`: what `fn` allocated and kept, its peak, and per op: calls, bytes
 * its outputs allocated, host time. Host time is from the op's output allocation to the op's record, which
 * on the cpu backend is the op's compute and on webgpu the time to encode its dispatch (GPU execution is
 * asynchronous and not included; `device.sync()` inside `fn` shows up as its own 'sync' line).
 */

import type { KernelTiming } from '../backends/backend.js';

/** One op's line of a profile. */
export interface OpProfile {
  op: string;
  /** Times the op ran. */
  calls: number;
  /** Bytes its outputs allocated (views such as reshape allocate none). */
  bytesAdded: number;
  /** Host milliseconds (see the module note). */
  hostMs: number;
}

/** What `memory.profile(fn)` measured. */
export interface Profile<T> {
  /** `fn`'s return value. */
  result: T;
  /** Live bytes after minus before (what `fn` kept). */
  newBytes: number;
  /** Live tensor handles after minus before. */
  newTensors: number;
  /** Highest live bytes while `fn` ran, minus live bytes before. */
  peakBytes: number;
  /** Wall-clock milliseconds of `fn`. */
  totalMs: number;
  /** One line per op, most bytes first. */
  ops: OpProfile[];
  /** GPU time per kernel (webgpu devices with `timestamp-query`; absent elsewhere), slowest first. */
  kernels?: KernelTiming[];
}

/** The allocator's side of a running profile. */
export class ProfileRecorder {
  readonly ops = new Map<string, OpProfile>();
  peak: number;

  constructor(readonly startLive: number) {
    this.peak = startLive;
  }

  add(op: string, bytes: number, hostMs: number): void {
    let p = this.ops.get(op);
    if (!p) this.ops.set(op, (p = { op, calls: 0, bytesAdded: 0, hostMs: 0 }));
    p.calls++;
    p.bytesAdded += bytes;
    p.hostMs += hostMs;
  }
}

/** A profile as an aligned text table (one op per row). */
export function profileTable(p: Omit<Profile<unknown>, 'result'>): string {
  const rows = [['op', 'calls', 'bytes added', 'host ms']];
  for (const o of p.ops) rows.push([o.op, String(o.calls), String(o.bytesAdded), o.hostMs.toFixed(3)]);
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ');
  const lines = [`new bytes ${p.newBytes}, peak bytes ${p.peakBytes}, new tensors ${p.newTensors}, ${p.totalMs.toFixed(1)} ms`, ...rows.map(line)];
  if (p.kernels?.length) {
    const k = [['kernel', 'dispatches', 'GPU ms'], ...p.kernels.map((x) => [x.kernel, String(x.dispatches), x.gpuMs.toFixed(3)])];
    const w = k[0].map((_, c) => Math.max(...k.map((r) => r[c].length)));
    lines.push('', ...k.map((r) => r.map((v, c) => (c === 0 ? v.padEnd(w[c]) : v.padStart(w[c]))).join('  ')));
  }
  return lines.join('\n');
}
