/**
 * Square side-by-side panels over one 2-D window: heat maps (a density on a grid, drawn as an embedded PNG
 * image so a 128×128 grid stays a few kilobytes of SVG) and scatter plots (points as small dots). Made for
 * "data | model density | samples" pictures of 2-D normalizing flows.
 */
import { deflateSync } from 'node:zlib';
import { el, escapeXml } from './svg.js';

/** A heat map: `values[j * nx + i]` is cell (i, j) of an nx × ny grid, i along x, j along y (j = 0 at the bottom). */
export interface HeatPanel {
  kind: 'heat';
  /** Panel title. */
  title: string;
  /** Row-major values, length nx·ny; non-finite values draw as the lowest colour. */
  values: ArrayLike<number>;
  nx: number;
  ny: number;
}

/** A scatter plot of points (x[i], y[i]); points outside the window are not drawn. */
export interface PointsPanel {
  kind: 'points';
  /** Panel title. */
  title: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Any SVG colour; default a dark blue. */
  color?: string;
}

/** What {@link panelsChart} draws. */
export interface PanelsChartOptions {
  /** Figure title above the panels. */
  title: string;
  /** The panels, left to right. */
  panels: (HeatPanel | PointsPanel)[];
  /** The data window [xmin, xmax, ymin, ymax] every panel shows. */
  extent: readonly [number, number, number, number];
  /** Side of each square panel in pixels; default 300. */
  size?: number;
}

/** An error in the arguments of {@link panelsChart}. */
export class PanelsChartError extends Error {
  override name = 'PanelsChartError';
}

const FONT = 'DejaVu Sans, Verdana, sans-serif';
const GAP = 16;
const TOP = 58;
const MARGIN = 12;

// Viridis at 9 stops (matplotlib's), interpolated linearly.
const VIRIDIS: readonly [number, number, number][] = [
  [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
  [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
];

/** Viridis colour of u ∈ [0, 1] as [r, g, b] bytes (u outside is clamped). */
export function viridis(u: number): [number, number, number] {
  const v = Number.isFinite(u) ? Math.min(1, Math.max(0, u)) : 0;
  const p = v * (VIRIDIS.length - 1);
  const k = Math.min(VIRIDIS.length - 2, Math.floor(p));
  const f = p - k;
  const a = VIRIDIS[k]!, b = VIRIDIS[k + 1]!;
  return [0, 1, 2].map((c) => Math.round(a[c]! + f * (b[c]! - a[c]!))) as [number, number, number];
}

let crcTable: Uint32Array | null = null;
function crc32(buf: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const byte of buf) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/**
 * Encodes an RGB image (`rgb` of length 3·w·h, rows top to bottom) as a PNG file (8-bit, no interlace).
 * @throws PanelsChartError when the sizes do not match
 */
export function encodeRgbPng(rgb: Uint8Array, w: number, h: number): Buffer {
  if (!(Number.isInteger(w) && Number.isInteger(h) && w > 0 && h > 0) || rgb.length !== 3 * w * h) {
    throw new PanelsChartError(`encodeRgbPng: ${rgb.length} bytes do not make a ${w}×${h} RGB image`);
  }
  const raw = new Uint8Array((3 * w + 1) * h);
  for (let y = 0; y < h; y++) raw.set(rgb.subarray(3 * w * y, 3 * w * (y + 1)), (3 * w + 1) * y + 1);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}

/** A heat map's grid as a viridis PNG scaled to its own [min, max] (top row = highest y). */
function heatPng(p: HeatPanel): Buffer {
  const { nx, ny, values } = p;
  if (!(Number.isInteger(nx) && Number.isInteger(ny) && nx > 0 && ny > 0) || values.length !== nx * ny) {
    throw new PanelsChartError(`panel '${p.title}': ${values.length} values do not fill a ${nx}×${ny} grid`);
  }
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) ((lo = Math.min(lo, v)), (hi = Math.max(hi, v)));
  }
  const span = hi > lo ? hi - lo : 1;
  const rgb = new Uint8Array(3 * nx * ny);
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const v = values[j * nx + i]!;
      rgb.set(viridis(Number.isFinite(v) ? (v - lo) / span : 0), 3 * ((ny - 1 - j) * nx + i));
    }
  }
  return encodeRgbPng(rgb, nx, ny);
}

/**
 * Side-by-side square panels (heat maps and scatter plots) over one window, as a standalone SVG document.
 * Heat maps are scaled to their own range (viridis, dark = low); scatter points are drawn on white.
 * @throws PanelsChartError on an empty panel list, a bad window or a grid whose size does not match
 */
export function panelsChart(opts: PanelsChartOptions): string {
  const { panels, extent } = opts;
  const S = opts.size ?? 300;
  if (panels.length === 0) throw new PanelsChartError('panelsChart: no panels');
  const [x0, x1, y0, y1] = extent;
  if (!(x1 > x0 && y1 > y0) || !extent.every(Number.isFinite)) throw new PanelsChartError(`panelsChart: bad extent [${extent.join(', ')}]`);
  const W = 2 * MARGIN + panels.length * S + (panels.length - 1) * GAP;
  const H = TOP + S + MARGIN;
  const parts: string[] = [el('rect', { x: 0, y: 0, width: W, height: H, fill: '#ffffff' })];
  parts.push(el('text', { x: W / 2, y: 24, 'text-anchor': 'middle', 'font-size': 16, 'font-weight': 'bold' }, escapeXml(opts.title)));
  panels.forEach((p, k) => {
    const left = MARGIN + k * (S + GAP);
    parts.push(el('text', { x: left + S / 2, y: TOP - 10, 'text-anchor': 'middle', 'font-size': 13 }, escapeXml(p.title)));
    if (p.kind === 'heat') {
      const href = `data:image/png;base64,${heatPng(p).toString('base64')}`;
      parts.push(el('image', { x: left, y: TOP, width: S, height: S, preserveAspectRatio: 'none', href }));
    } else {
      const color = p.color ?? '#0072B2';
      const n = Math.min(p.x.length, p.y.length);
      let d = '';
      for (let i = 0; i < n; i++) {
        const x = p.x[i]!, y = p.y[i]!;
        if (!(x >= x0 && x <= x1 && y >= y0 && y <= y1)) continue;
        const px = left + ((x - x0) / (x1 - x0)) * S, py = TOP + ((y1 - y) / (y1 - y0)) * S;
        d += `M${px.toFixed(1)} ${py.toFixed(1)}h0`;
      }
      parts.push(el('path', { d, stroke: color, 'stroke-width': 2.4, 'stroke-linecap': 'round', 'stroke-opacity': 0.75, fill: 'none' }));
    }
    parts.push(el('rect', { x: left, y: TOP, width: S, height: S, fill: 'none', stroke: '#444444', 'stroke-width': 1 }));
  });
  return el('svg', { xmlns: 'http://www.w3.org/2000/svg', width: W, height: H, viewBox: `0 0 ${W} ${H}`, 'font-family': FONT }, parts.join(''));
}
