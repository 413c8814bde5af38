/**
 * FFJORD's toy densities: n points each, finite, reproducible from the seed, and with the structure of their
 * definitions (checkerboard cells, the eight centres, the circles' and rings' radii, the moons' and
 * spirals' symmetry).
 */
import { describe, it, expect } from 'vitest';
import { TOY_DATASETS, toyData, UnknownDatasetError, type ToyDataset } from '@sympode/flows';

const n = 2001;
const rows = (x: Float64Array) => Array.from({ length: x.length / 2 }, (_, i) => [x[2 * i], x[2 * i + 1]] as const);
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

describe('toy data', () => {
  it('every dataset: n finite points, the same for a seed, different for another', () => {
    for (const name of TOY_DATASETS) {
      const a = toyData(name, n, 7);
      expect(a.length).toBe(2 * n);
      expect(a.every(Number.isFinite)).toBe(true);
      expect(toyData(name, n, 7)).toEqual(a);
      expect(toyData(name, n, 8)).not.toEqual(a);
    }
  });

  it('checkerboard: every point in a cell with an even index sum, all of [−4, 4)² used', () => {
    const pts = rows(toyData('checkerboard', n, 1));
    for (const [x, y] of pts) {
      expect(Math.abs(x) <= 4 && Math.abs(y) <= 4).toBe(true);
      expect((((Math.floor(x / 2) + Math.floor(y / 2)) % 2) + 2) % 2).toBe(0);
    }
    expect(new Set(pts.map(([x, y]) => `${Math.floor(x / 2)},${Math.floor(y / 2)}`)).size).toBe(8);
  });

  it('8gaussians: each point near one of the eight centres 4·u/1.414, each centre used', () => {
    const r = 1 / Math.SQRT2;
    const centres = [[1, 0], [-1, 0], [0, 1], [0, -1], [r, r], [r, -r], [-r, r], [-r, -r]].map(([a, b]) => [(4 * a) / 1.414, (4 * b) / 1.414]);
    const used = new Set<number>();
    for (const [x, y] of rows(toyData('8gaussians', n, 2))) {
      const d = centres.map(([a, b]) => Math.hypot(x - a, y - b));
      const k = d.indexOf(Math.min(...d));
      used.add(k);
      expect(d[k]).toBeLessThan(2.2); // 6σ of the noise 0.5/1.414
    }
    expect(used.size).toBe(8);
  });

  it('circles and rings: radii where FFJORD puts them', () => {
    const radius = (name: ToyDataset) => rows(toyData(name, n, 3)).map(([x, y]) => Math.hypot(x, y));
    const c = radius('circles');
    expect(mean(c.filter((v) => v > 2.25))).toBeCloseTo(3, 1);
    expect(mean(c.filter((v) => v <= 2.25))).toBeCloseTo(1.5, 1);
    const rr = radius('rings');
    for (const R of [3, 2.25, 1.5, 0.75]) expect(mean(rr.filter((v) => Math.abs(v - R) < 0.375))).toBeCloseTo(R, 1);
  });

  it('moons and 2spirals: centred where their definitions centre them', () => {
    const m = rows(toyData('moons', n, 4));
    // make_moons' mean is (0.5, 0.25) up to the shuffle and noise; FFJORD maps it by ·2 + (−1, −0.2).
    expect(mean(m.map((p) => p[0]))).toBeCloseTo(0, 1);
    expect(mean(m.map((p) => p[1]))).toBeCloseTo(0.3, 1);
    const s = rows(toyData('2spirals', n, 5));
    expect(Math.abs(mean(s.map((p) => p[0])))).toBeLessThan(0.05);
    expect(Math.abs(mean(s.map((p) => p[1])))).toBeLessThan(0.05);
  });

  it('an unknown name is a typed error naming the known ones', () => {
    expect(() => toyData('swirl' as ToyDataset, 10, 0)).toThrow(UnknownDatasetError);
    expect(() => toyData('swirl' as ToyDataset, 10, 0)).toThrow(/8gaussians, pinwheel/);
  });
});
