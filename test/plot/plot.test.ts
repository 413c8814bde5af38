/** Plotting: SVG charts are well-formed and stay inside their canvas; PNGs have the right size and real content. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { describe, it, expect } from 'vitest';
import { escapeXml, formatTick, lineChart, svgToPng, writeChart, type Series } from '@sympode/plot';

const ENTITY = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;

/** A tiny XML well-formedness check: balanced tags, quoted attributes, no stray `<` or `&`. Returns the root tag. */
function checkXml(xml: string): string {
  const stack: string[] = [];
  let root = '';
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    if (text.includes('>') || ENTITY.test(text)) throw new Error(`bad character data: ${text.slice(0, 60)}`);
    if (lt < 0) break;
    if (stack.length === 0 && root && text.trim()) throw new Error('text after the root element');
    const gt = xml.indexOf('>', lt);
    if (gt < 0) throw new Error('unterminated tag');
    const tag = xml.slice(lt, gt + 1);
    i = gt + 1;
    const close = /^<\/([A-Za-z][\w:.-]*)\s*>$/.exec(tag);
    if (close) {
      const open = stack.pop();
      if (open !== close[1]) throw new Error(`</${close[1]}> closes <${open}>`);
      continue;
    }
    const m = /^<([A-Za-z][\w:.-]*)((?:\s+[A-Za-z][\w:.-]*="[^"<]*")*)\s*(\/?)>$/.exec(tag);
    if (!m) throw new Error(`malformed tag: ${tag.slice(0, 80)}`);
    if (ENTITY.test(m[2]!)) throw new Error(`bad attribute value in ${tag.slice(0, 80)}`);
    const names = [...m[2]!.matchAll(/\s([\w:.-]+)=/g)].map((a) => a[1]);
    if (new Set(names).size !== names.length) throw new Error(`duplicate attribute in ${tag.slice(0, 80)}`);
    if (stack.length === 0) {
      if (root) throw new Error('more than one root element');
      root = m[1]!;
    }
    if (!m[3]) stack.push(m[1]!);
  }
  if (stack.length) throw new Error(`unclosed <${stack.join('>, <')}>`);
  return root;
}

function viewBox(svg: string): [number, number] {
  const m = /viewBox="0 0 ([\d.]+) ([\d.]+)"/.exec(svg);
  if (!m) throw new Error('no viewBox');
  return [Number(m[1]), Number(m[2])];
}

/** Every point that the paths and dots visit, with relative commands resolved. */
function drawnPoints(svg: string): Array<[number, number]> {
  const pts: Array<[number, number]> = [];
  for (const [, d] of svg.matchAll(/\sd="([^"]*)"/g)) {
    const tokens = d!.match(/[A-Za-z]|-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?/g) ?? [];
    expect(tokens.join('').length).toBe(d!.replace(/[\s,]/g, '').length); // nothing the tokenizer did not understand
    let x = 0, y = 0, cmd = '';
    for (let k = 0; k < tokens.length;) {
      if (/[A-Za-z]/.test(tokens[k]!)) { cmd = tokens[k++]!; continue; }
      const next = () => {
        const v = Number(tokens[k++]);
        expect(Number.isFinite(v)).toBe(true);
        return v;
      };
      switch (cmd) {
        case 'M': case 'L': x = next(); y = next(); break;
        case 'H': x = next(); break;
        case 'V': y = next(); break;
        case 'h': x += next(); break;
        case 'v': y += next(); break;
        default: throw new Error(`unexpected path command ${cmd}`);
      }
      pts.push([x, y]);
    }
  }
  for (const [, cx, cy] of svg.matchAll(/<circle cx="([^"]*)" cy="([^"]*)"/g)) pts.push([Number(cx), Number(cy)]);
  return pts;
}

function expectValidChart(svg: string): void {
  expect(svg.startsWith('<svg')).toBe(true);
  expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
  expect(checkXml(svg)).toBe('svg');
  expect(svg).not.toMatch(/NaN|Infinity|undefined/);
  const [w, h] = viewBox(svg);
  for (const [x, y] of drawnPoints(svg)) {
    expect(Number.isFinite(x) && Number.isFinite(y)).toBe(true);
    expect(x).toBeGreaterThanOrEqual(0);
    expect(x).toBeLessThanOrEqual(w);
    expect(y).toBeGreaterThanOrEqual(0);
    expect(y).toBeLessThanOrEqual(h);
  }
}

function pngSize(png: Buffer): [number, number] {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(png.toString('latin1', 12, 16)).toBe('IHDR');
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}

function distinctColours(svg: string): number {
  const { pixels } = new Resvg(svg, { background: '#ffffff', font: { loadSystemFonts: false } }).render();
  const seen = new Set<number>();
  for (let i = 0; i < pixels.length && seen.size < 10; i += 4) seen.add(pixels.readUInt32LE(i));
  return seen.size;
}

const xs = Array.from({ length: 50 }, (_, i) => i / 10);
const twoSeries: Series[] = [
  { name: 'sin <&> "q"', x: xs, y: xs.map((t, i) => (i === 20 ? NaN : Math.sin(t))) },
  { name: 'cos', x: Float64Array.from(xs), y: Float64Array.from(xs, Math.cos), dashed: true },
];

describe('lineChart', () => {
  it('two series with a NaN point: well-formed, escaped, line broken at the NaN', () => {
    const svg = lineChart({ title: 'Oscillator <1> & co', xLabel: 'time t', yLabel: 'q, p', series: twoSeries, width: 640, height: 400 });
    expectValidChart(svg);
    expect(svg).toContain('Oscillator &lt;1&gt; &amp; co');
    expect(svg).toContain('sin &lt;&amp;&gt; &quot;q&quot;');
    expect(svg).toContain('>cos<');
    expect(svg).not.toContain('<1>');
    expect(viewBox(svg)).toEqual([640, 400]);
    const paths = [...svg.matchAll(/<path d="([^"]*)" fill="none" stroke="(#[0-9A-F]{6})" stroke-width="1.75"/g)];
    expect(paths).toHaveLength(2);
    expect(paths[0]![1]!.match(/M/g)).toHaveLength(2); // the NaN splits the first line in two
    expect(paths[1]![1]!.match(/M/g)).toHaveLength(1);
    expect(paths[0]![2]).not.toBe(paths[1]![2]);
    expect(svg).toContain('stroke-dasharray');
  });

  it('log scale: decade ticks, non-positive and non-finite values skipped', () => {
    const it = Array.from({ length: 100 }, (_, i) => i);
    const loss = it.map((i) => 3 * Math.exp(-i / 10));
    loss[10] = 0; loss[11] = -2; loss[12] = Infinity;
    const svg = lineChart({ title: 'loss', xLabel: 'iteration', yLabel: 'loss', logY: true, series: [{ name: 'train', x: it, y: loss }] });
    expectValidChart(svg);
    for (const label of ['1e-4', '0.001', '0.01', '0.1', '>1<', '>10<']) expect(svg).toContain(label);
    const d = /<path d="([^"]*)" fill="none" stroke="#[0-9A-F]{6}" stroke-width="1.75"/.exec(svg)![1]!;
    expect(d.match(/M/g)).toHaveLength(2);
  });

  it('edge cases still give valid SVG', () => {
    const base = { title: 't', xLabel: 'x', yLabel: 'y' };
    for (const svg of [
      lineChart({ ...base, series: [] }),
      lineChart({ ...base, series: [{ name: 'c', x: [0, 1, 2], y: [5, 5, 5] }] }),
      lineChart({ ...base, series: [{ name: 'zero', x: [0, 1, 2], y: [0, 0, 0] }] }),
      lineChart({ ...base, series: [{ name: 'one point', x: [3], y: [4] }] }),
      lineChart({ ...base, series: [{ name: 'all missing', x: [NaN, 1], y: [1, NaN] }] }),
      lineChart({ ...base, logY: true, series: [{ name: 'no positives', x: [0, 1], y: [0, -1] }] }),
      lineChart({ ...base, equalAspect: true, series: [{ name: 'orbit', x: [-2, 0, 2, 0, -2], y: [0, 1, 0, -1, 0] }] }),
      lineChart({ title: '', xLabel: '', yLabel: '', series: [{ name: '', x: [1e-9, 2e-9], y: [1e12, 3e12] }], width: 120, height: 90 }),
    ]) expectValidChart(svg);
    expect(lineChart({ ...base, series: [] })).toContain('no data');
    expect(() => lineChart({ ...base, series: [], width: 0 })).toThrow(RangeError);
  });

  it('equal aspect: one data unit is the same number of pixels on both axes', () => {
    const th = Array.from({ length: 101 }, (_, i) => (i / 100) * 2 * Math.PI);
    const svg = lineChart({
      title: 'phase', xLabel: 'q', yLabel: 'p', equalAspect: true,
      series: [{ name: 'circle', x: th.map((t) => 2 * Math.cos(t)), y: th.map((t) => 2 * Math.sin(t)) }],
    });
    expectValidChart(svg);
    const d = /<path d="([^"]*)" fill="none" stroke="#[0-9A-F]{6}" stroke-width="1.75"/.exec(svg)![1]!;
    const pts = [...d.matchAll(/[ML](-?[\d.]+) (-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    const w = Math.max(...pts.map((p) => p[0]!)) - Math.min(...pts.map((p) => p[0]!));
    const h = Math.max(...pts.map((p) => p[1]!)) - Math.min(...pts.map((p) => p[1]!));
    expect(Math.abs(w - h)).toBeLessThan(1.5);
  });
});

describe('formatTick and escapeXml', () => {
  it('formats compactly', () => {
    expect(formatTick(0)).toBe('0');
    expect(formatTick(-0)).toBe('0');
    expect(formatTick(250)).toBe('250');
    expect(formatTick(0.001)).toBe('0.001');
    expect(formatTick(1e-6)).toBe('1e-6');
    expect(formatTick(1.2e6)).toBe('1.2e6');
    expect(formatTick(-2.5e-7)).toBe('-2.5e-7');
    expect(formatTick(0.1 + 0.2)).toBe('0.3');
    expect(formatTick(NaN)).toBe('NaN');
  });
  it('escapes markup and drops characters XML cannot hold', () => {
    expect(escapeXml(`a<b>&"c'\u0000\u0007`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
  });
});

describe('PNG output', () => {
  it('svgToPng: PNG signature, requested size, real content', () => {
    const svg = lineChart({ title: 'png', xLabel: 'x', yLabel: 'y', series: twoSeries, width: 500, height: 320 });
    const png = svgToPng(svg);
    expect(pngSize(png)).toEqual([500, 320]);
    expect(png.length).toBeGreaterThan(5_000);
    expect(distinctColours(svg)).toBeGreaterThan(1);
  });

  it('writeChart writes both files, creating folders', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sympode-plot-'));
    try {
      const svg = lineChart({ title: 'w', xLabel: 'x', yLabel: 'y', series: twoSeries });
      const out = await writeChart(join(dir, 'a', 'b', 'chart'), svg);
      expect(out).toEqual({ svg: join(dir, 'a', 'b', 'chart.svg'), png: join(dir, 'a', 'b', 'chart.png') });
      expect(await readFile(out.svg, 'utf8')).toBe(svg);
      expect(pngSize(await readFile(out.png))).toEqual([720, 450]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
