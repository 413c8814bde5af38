// The progress bar's time left follows the recent pace (FFJORD's iterations slow down as training goes on).
import { describe, expect, it } from 'vitest';
import { RecentEta } from '../../packages/cli/src/eta.js';

describe('RecentEta', () => {
  it('at a constant pace equals the mean', () => {
    const eta = new RecentEta(5);
    let left = 0;
    for (let i = 1; i <= 10; i++) left = eta.update(i, 100, i * 2);
    expect(left).toBeCloseTo(90 * 2, 12);
  });

  it('after a slow-down uses the recent pace, not the mean since the start', () => {
    const eta = new RecentEta(10);
    let s = 0;
    let left = 0;
    for (let i = 1; i <= 100; i++) {
      s += i <= 50 ? 1 : 3; // 1 s per iteration, then 3 s
      left = eta.update(i, 200, s);
    }
    expect(left).toBeCloseTo(100 * 3, 9); // the mean since the start would say 100 · 2 = 200 s
  });

  it('is 0 when nothing is left and before any pace is known', () => {
    const eta = new RecentEta();
    expect(eta.update(0, 10, 0)).toBe(0);
    expect(eta.update(10, 10, 5)).toBe(0);
  });
});
