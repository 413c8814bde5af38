/**
 * Time left from the recent pace, not the mean since the start: a CNF's iterations slow down as its dynamics
 * stiffen (more steps per solve), so the mean from iteration 0 under-estimates what is left (it said 175 s at
 * iteration 100 of a 382 s run).
 */
export class RecentEta {
  private readonly marks: { done: number; s: number }[] = [];

  /** `window`: how many recent updates set the pace. */
  constructor(private readonly window = 20) {}

  /** Records that `done` iterations were finished at `s` seconds; returns the estimated seconds left for `total`. */
  update(done: number, total: number, s: number): number {
    this.marks.push({ done, s });
    if (this.marks.length > this.window + 1) this.marks.shift();
    const first = this.marks[0];
    const last = this.marks[this.marks.length - 1];
    // Until two marks exist the pace is the mean since the start (time 0, nothing done).
    const [d, t] = last.done > first.done ? [last.done - first.done, last.s - first.s] : [last.done, last.s];
    return d > 0 ? (t / d) * Math.max(0, total - done) : 0;
  }
}
