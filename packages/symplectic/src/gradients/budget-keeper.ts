/**
 * The forward side of a checkpoint budget: which accepted steps' start states a graph-free forward keeps
 * when at most c may be held (y_0, the caller's, included). Every step's (t, h) is recorded (two scalars per
 * step, on the host) so the backward replays exactly the accepted steps, never a rejected one.
 *  - Fixed steps (N known before the solve): revolve's chain of first splits (revolve.ts), so the backward
 *    recomputes the fewest steps possible with c snapshots.
 *  - Adaptive steps (N unknown): online thinning on a doubling grid. Every state is kept while c − 1 suffice
 *    (a short solve recomputes nothing); past that, states at multiples of a stride are kept in at most
 *    ⌈c/2⌉ snapshots, and when one more would be needed the stride doubles and every other one goes. The
 *    other snapshots are left for the backward, which reverses each segment between kept states by revolve
 *    with the snapshots free at that time (budget-replay.ts). Simulated on the host for c = 4…32 and N = 100…5000, this
 *    advances 1.02–1.3× the steps offline revolve (N known) would.
 * The start state of the last step taken is held too: it is the backward's first working state (revolve's
 * "youturn"), so the forward's last advance is not repeated.
 */
import type { Device, Tensor } from '@sympode/tensor';
import type { AcceptedStep } from '../integrate.js';
import { revolveChain } from './revolve.js';
import type { StepSpan } from './replay.js';

/** A kept state and the number of snapshots (itself included) it may use to reverse the steps after it. */
export interface Snapshot {
  pos: number;
  budget: number;
  y: Tensor;
}

/** The states and step records a budgeted forward keeps (the backward consumes them; `dispose` frees the rest). */
export class BudgetedCheckpoints {
  private count = 0;
  /** Kept states by increasing position; the k-th has budget c − k. */
  readonly snapshots: Snapshot[] = [];
  /** The start state of the last accepted step (the backward's first working state) until taken. */
  tail: { pos: number; y: Tensor } | null = null;
  private readonly planned: Set<number> | null;
  private readonly online: number;
  private stride = 1;

  /**
   * @param c       the budget: most states held at once, y_0 included (≥ 1)
   * @param steps   the number of steps when known before the solve (fixed-step methods), else null
   * @param records (t, h) of every accepted step, filled by the caller before each `accept` (the replay's plan)
   */
  constructor(readonly device: Device, readonly c: number, steps: number | null, readonly records: readonly StepSpan[]) {
    this.planned = steps === null ? null : new Set(revolveChain(steps, c).map((p) => p.pos));
    this.online = Math.max(1, Math.ceil(c / 2));
  }

  /** The integration loop's `onAccept`: takes every start state (true), keeps those the plan asks for. */
  accept(step: AcceptedStep, y0: Tensor): boolean {
    const dev = this.device;
    const n = this.count++;
    // y0 is the caller's: share it; later states are ours.
    const y = dev.keep(step.y === y0 ? y0.detach() : step.y);
    if (step.y !== y0) dev.memory.relabel(y, 'checkpoints');
    const previous = this.tail;
    this.tail = { pos: n, y };
    if (this.planned ? this.planned.has(n) : n % this.stride === 0) {
      this.snapshots.push({ pos: n, budget: this.c - this.snapshots.length, y });
      if (!this.planned && this.snapshots.length > (this.stride === 1 ? Math.max(this.online, this.c - 1) : this.online)) this.thin();
    }
    if (previous) this.release(previous.y);
    return true;
  }

  /** Doubles the stride: keeps the snapshots at its multiples (y_0 always), frees the others. */
  private thin(): void {
    this.stride *= 2;
    const dropped = this.snapshots.filter((s) => s.pos % this.stride !== 0);
    const kept = this.snapshots.filter((s) => s.pos % this.stride === 0);
    this.snapshots.length = 0;
    kept.forEach((s, k) => this.snapshots.push({ ...s, budget: this.c - k }));
    for (const s of dropped) this.release(s.y);
  }

  /** Removes a consumed snapshot (the backward reversed everything after it) and frees it if unused. */
  consume(s: Snapshot): void {
    const i = this.snapshots.findIndex((k) => k.y === s.y);
    if (i >= 0) this.snapshots.splice(i, 1);
    this.release(s.y);
  }

  /** Hands the tail to the backward (which then owns it) when it is not also a snapshot. */
  takeTail(pos: number): Tensor | null {
    const tail = this.tail;
    if (!tail || tail.pos !== pos || this.snapshots.some((s) => s.y === tail.y)) return null;
    this.tail = null;
    return tail.y;
  }

  /** Frees a state once neither a snapshot nor the tail refers to it. */
  private release(y: Tensor): void {
    if (this.tail?.y === y || this.snapshots.some((s) => s.y === y)) return;
    y.dispose();
  }

  /** Frees every state still held. */
  dispose(): void {
    const all = new Set([...this.snapshots.map((s) => s.y), ...(this.tail ? [this.tail.y] : [])]);
    this.snapshots.length = 0;
    this.tail = null;
    for (const y of all) y.dispose();
  }
}
