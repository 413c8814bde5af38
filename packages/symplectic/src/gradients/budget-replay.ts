/**
 * The backward side of a checkpoint budget: y_i for i = N−1 … 0, recomputed from the nearest held state by
 * replaying the recorded accepted steps (same t and h, so no error estimate and no rejection: the states
 * are the forward's). The held states form a stack; each may use a number of snapshots (itself included) to
 * reverse the steps after it. To reach y_i from the top (p, s): if p = i it is there; with s = 1 advance
 * to i without storing (a working state); otherwise advance revolve's optimal split j, store y_{p+j} with
 * budget s − 1 and repeat. The stack never holds more than c states, and for fixed steps the number of
 * advanced steps is revolve's optimum (revolve.ts).
 * The forward's states are consumed (freed as soon as the sweep is below them): a second backward through
 * the same solve starts again from y_0 and recomputes more.
 */
import { noGrad, type Tensor } from '@sympode/tensor';
import type { Field } from '../field.js';
import { NoGraphStepper } from '../no-graph-stepper.js';
import type { Tableau } from '../tableaus.js';
import type { BudgetedCheckpoints, Snapshot } from './budget-keeper.js';
import { revolveSplit } from './revolve.js';
import type { StepSpan } from './replay.js';
import type { StepStates } from './step-states.js';

interface Held extends Snapshot {
  /** Made by this sweep (freed when popped) or the forward's (consumed from the keeper). */
  own: boolean;
}

/** The states of a budgeted forward, recomputed on demand (see the module comment). */
export class ReplayStates implements StepStates {
  readonly count: number;
  recomputedSteps = 0;
  recomputedNfe = 0;
  private readonly stack: Held[];
  /** The state returned last when it is not on the stack (freed at the next call). */
  private working: Tensor | null = null;
  private stepper: NoGraphStepper | null = null;
  private ownStepper = false;

  constructor(private readonly kept: BudgetedCheckpoints, private readonly field: Field, private readonly tableau: Tableau) {
    this.count = kept.records.length;
    this.stack = kept.snapshots.map((s) => ({ ...s, own: false }));
  }

  step(i: number): StepSpan {
    return this.kept.records[i];
  }

  /** Lets recomputation use a sweep's own no-graph stepper (its stage buffer) instead of allocating one. */
  useStepper(stepper: NoGraphStepper): void {
    if (!this.stepper) this.stepper = stepper;
  }

  async at(i: number): Promise<Tensor> {
    this.dropWorking();
    while (this.stack[this.stack.length - 1].pos > i) this.pop();
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (top.pos === i) return top.y;
      const tail = this.kept.takeTail(i);
      if (tail) return (this.working = tail);
      if (top.budget === 1) return (this.working = await this.advance(top, i));
      const q = top.pos + revolveSplit(i + 1 - top.pos, top.budget);
      this.stack.push({ pos: q, budget: top.budget - 1, y: await this.advance(top, q), own: true });
    }
  }

  /** Replays the recorded steps from a held state to position q; the caller owns the result. */
  private async advance(from: Snapshot, q: number): Promise<Tensor> {
    const dev = this.field.device;
    if (!this.stepper) {
      this.stepper = new NoGraphStepper(this.field, this.tableau);
      this.ownStepper = true;
    }
    const stepper = this.stepper;
    // Row 0 of the stage buffer may hold another step's f: the first replayed step evaluates it afresh.
    stepper.reset();
    let y = from.y;
    const nfe0 = this.field.counter.nfe;
    try {
      for (let n = from.pos; n < q; n++) {
        const { t, h } = this.kept.records[n];
        const y1 = await noGrad(() => stepper.attempt(t, y, h));
        stepper.accept();
        if (y !== from.y) y.dispose();
        y = y1;
        this.recomputedSteps++;
      }
    } catch (e) {
      if (y !== from.y) y.dispose();
      throw e;
    } finally {
      stepper.reset();
      this.recomputedNfe += this.field.counter.nfe - nfe0;
    }
    dev.memory.relabel(y, 'checkpoints');
    return y;
  }

  private pop(): void {
    const s = this.stack.pop()!;
    if (s.own) s.y.dispose();
    else this.kept.consume(s);
  }

  private dropWorking(): void {
    this.working?.dispose();
    this.working = null;
  }

  close(): void {
    this.dropWorking();
    for (const s of this.stack) if (s.own) s.y.dispose();
    this.stack.length = 0;
    if (this.ownStepper) this.stepper?.dispose();
    this.stepper = null;
  }
}
