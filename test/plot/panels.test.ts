/** panelsChart: heat maps embedded as PNG, scatter panels, typed errors; the SVG rasterises with resvg. */
import { describe, it, expect } from 'vitest';
import { inflateSync } from 'node:zlib';
import { encodeRgbPng, panelsChart, PanelsChartError, svgToPng, viridis } from '@sympode/plot';

describe('panelsChart', () => {
  it('encodes a valid RGB PNG (signature, IHDR, filtered rows)', () => {
    const rgb = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]);
    const png = encodeRgbPng(rgb, 2, 2);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.readUInt32BE(16)).toBe(2);
    expect(png.readUInt32BE(20)).toBe(2);
    const idatLen = png.readUInt32BE(33);
    const raw = inflateSync(png.subarray(41, 41 + idatLen));
    expect([...raw]).toEqual([0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 9, 9, 9]);
    expect(() => encodeRgbPng(rgb, 3, 2)).toThrow(PanelsChartError);
  });

  it('draws heat and point panels as an SVG that rasterises', () => {
    const g = 8;
    const values = Array.from({ length: g * g }, (_, k) => k);
    const svg = panelsChart({
      title: 'density & <samples>', extent: [-4, 4, -4, 4],
      panels: [
        { kind: 'heat', title: 'heat', values, nx: g, ny: g },
        { kind: 'points', title: 'points', x: [0, 1, 99], y: [0, -1, 0] },
      ],
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('density &amp; &lt;samples&gt;');
    expect(svg).toMatch(/<image [^>]*href="data:image\/png;base64,/);
    expect((svg.match(/h0/g) ?? []).length).toBe(2); // the point outside the window is not drawn
    expect(svgToPng(svg).length).toBeGreaterThan(1000);
    expect(viridis(0)).toEqual([68, 1, 84]);
    expect(viridis(1)).toEqual([253, 231, 37]);
  });

  it('rejects bad input with PanelsChartError', () => {
    expect(() => panelsChart({ title: 't', extent: [0, 1, 0, 1], panels: [] })).toThrow(PanelsChartError);
    expect(() => panelsChart({ title: 't', extent: [1, 0, 0, 1], panels: [{ kind: 'points', title: 'p', x: [], y: [] }] })).toThrow(/bad extent/);
    expect(() => panelsChart({ title: 't', extent: [0, 1, 0, 1], panels: [{ kind: 'heat', title: 'h', values: [1, 2, 3], nx: 2, ny: 2 }] })).toThrow(/do not fill a 2×2 grid/);
  });
});
