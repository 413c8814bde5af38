/** Figures for papers: byte ticks in one binary unit per axis on round steps, stacked panels, 2x PNGs. */
import { describe, expect, it } from 'vitest';
import { bytesScale, formatBytes, logBytesScale, stackedPanels, svgToPng } from '@sympode/plot';

describe('byte formatting', () => {
  it('formatBytes: binary units, at most three significant digits', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1000)).toBe('1000 B');
    expect(formatBytes(1024)).toBe('1 KiB');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(75_162)).toBe('73.4 KiB');
    expect(formatBytes(1_195_000)).toBe('1.14 MiB');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3 GiB');
  });

  it('bytesScale: one unit and one number of decimals per axis, ticks on round steps of that unit', () => {
    for (const [max, unit] of [[1536, 'KiB'], [75_162, 'KiB'], [190_000, 'KiB'], [1_195_000, 'MiB'], [800, 'B'], [5e9, 'GiB']] as const) {
      const s = bytesScale(0, max, 6, true);
      const labels = s.ticks.map((t) => t.label!);
      expect(labels[0]).toBe('0');
      expect(s.domain[0]).toBe(0);
      expect(s.domain[1]).toBeGreaterThanOrEqual(max);
      const rest = labels.slice(1);
      expect(rest.length).toBeGreaterThanOrEqual(2);
      const decimals = new Set(rest.map((l) => (l.split(' ')[0]!.split('.')[1] ?? '').length));
      expect(decimals.size).toBe(1);
      for (const l of rest) expect(l).toMatch(new RegExp(`^\\d+(\\.\\d+)? ${unit}$`));
      // Round: every step is 1, 2 or 5 times a power of ten, in the axis unit.
      const u = 1024 ** ['B', 'KiB', 'MiB', 'GiB'].indexOf(unit);
      const step = (s.ticks[1]!.value - s.ticks[0]!.value) / u;
      const mant = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
      expect([1, 2, 5].some((m) => Math.abs(mant - m) < 1e-9)).toBe(true);
      for (let i = 1; i < s.ticks.length; i++) expect((s.ticks[i]!.value - s.ticks[i - 1]!.value) / u).toBeCloseTo(step, 9);
    }
    expect(bytesScale(0, 1_195_000, 6, true).ticks.map((t) => t.label)).toEqual(['0', '0.2 MiB', '0.4 MiB', '0.6 MiB', '0.8 MiB', '1.0 MiB', '1.2 MiB']);
  });

  it('logBytesScale: powers of two', () => {
    const s = logBytesScale(3000, 2e6, 6);
    expect(s.domain).toEqual([2048, 2 ** 21]);
    const labelled = s.ticks.filter((t) => t.label).map((t) => t.label);
    expect(labelled.length).toBeLessThanOrEqual(7);
    expect(labelled).toContain('1 MiB');
    for (const t of s.ticks) expect(Math.log2(t.value) % 1).toBe(0);
  });
});

describe('stackedPanels', () => {
  const x = Array.from({ length: 400 }, (_, i) => i / 4);
  const panel = (title: string, scale: number) => ({
    title, x,
    layers: [
      { name: 'parameters', y: x.map(() => 2048) },
      { name: 'network', y: x.map((t) => scale * 1024 * (1 + Math.sin(t / 5))) },
    ],
  });

  it('draws one stacked area per layer and panel, each panel on its own byte axis, as valid SVG', () => {
    const svg = stackedPanels({ title: 'Live <bytes>', xLabel: 'time (ms)', yLabel: 'live bytes', yFormat: 'bytes', panels: [panel('small', 1), panel('big', 1000), panel('mid', 30)] });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('Live &lt;bytes&gt;');
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
    const areas = [...svg.matchAll(/<path d="(M[^"]*Z)" fill="(#[0-9A-Fa-f]{6})"/g)];
    expect(areas).toHaveLength(6);
    expect(new Set(areas.map((a) => a[2])).size).toBe(2); // one colour per layer name
    // Each panel keeps its own unit: KiB for the small one, MiB for the big one.
    expect(svg).toMatch(/>\d+ KiB</);
    expect(svg).toMatch(/>\d\.\d MiB</);
    const [, w, h] = /viewBox="0 0 (\d+) (\d+)"/.exec(svg)!.map(Number);
    for (const [, d] of areas) {
      for (const [, a, b] of d!.matchAll(/[MHVL]?(-?[\d.]+)(?: (-?[\d.]+))?/g)) {
        expect(Number(a)).toBeGreaterThanOrEqual(0);
        expect(Number(a)).toBeLessThanOrEqual(Math.max(w!, h!));
        if (b !== undefined) expect(Number(b)).toBeLessThanOrEqual(h!);
      }
    }
    const png = svgToPng(svg);
    expect(png.readUInt32BE(16)).toBe(2 * w!);
  });

  it('empty panels and bad sizes', () => {
    expect(stackedPanels({ title: '', xLabel: '', yLabel: '', panels: [{ title: 'none', x: [], layers: [] }] })).toContain('none');
    expect(() => stackedPanels({ title: '', xLabel: '', yLabel: '', panels: [], width: 0 })).toThrow(RangeError);
  });
});
