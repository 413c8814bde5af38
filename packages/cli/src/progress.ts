import { RecentEta } from './eta.js';

/** A one-line progress bar on stderr (redrawn in place on a TTY, printed every 10% otherwise). */
export class Progress {
  private readonly start = performance.now();
  private lastPrinted = -1;
  private readonly eta = new RecentEta();

  constructor(private readonly total: number, private readonly width = 24) {}

  update(done: number, info: string): void {
    const frac = this.total ? done / this.total : 1;
    const filled = Math.round(frac * this.width);
    const elapsed = (performance.now() - this.start) / 1000;
    const eta = this.eta.update(done, this.total, elapsed);
    const line = `[${'#'.repeat(filled)}${'.'.repeat(this.width - filled)}] ${done}/${this.total} ${info} ${elapsed.toFixed(0)}s (eta ${eta.toFixed(0)}s)`;
    if (process.stderr.isTTY) {
      process.stderr.write(`\r\x1b[2K${line}`);
      if (done === this.total) process.stderr.write('\n');
    } else {
      const decile = Math.floor(frac * 10);
      if (decile !== this.lastPrinted) {
        this.lastPrinted = decile;
        process.stderr.write(`${line}\n`);
      }
    }
  }
}
