/**
 * Small multiples of stacked step areas: one panel per series group (a gradient method, say), each with its own
 * axes, layers stacked bottom first (memory labels), one legend for the figure. Made for memory timelines, where
 * one method's peak would flatten every other method on a shared axis.
 */
import { axisParts, TICK_LEN, TICK_SIZE } from './axes.js';
import type { AxisFormat } from './chart.js';
import { seriesColor } from './palette.js';
import { bytesScale, linearScale, projector } from './scale.js';
import { el, escapeXml, num } from './svg.js';

/** One stacked layer: `y[i]` is its height at the panel's `x[i]`, held until the next x (a step). */
export interface StackLayer {
  name: string;
  y: ArrayLike<number>;
  /** Defaults to the colour of the first layer of that name, else the next Okabe–Ito colour. */
  color?: string;
}

/** One panel: its title, the shared x of its layers (ascending) and the layers, bottom first. */
export interface StackPanel {
  title: string;
  x: ArrayLike<number>;
  /** The x range to show; default the data's. */
  xDomain?: readonly [number, number];
  layers: StackLayer[];
}

/** What `stackedPanels` draws. */
export interface StackedPanelsOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  panels: StackPanel[];
  /** Panels per row; default ⌈√panels⌉. */
  columns?: number;
  /** Pixels; default 1080. */
  width?: number;
  /** Pixels per panel, title included; default 230. */
  panelHeight?: number;
  /** 'bytes' ticks the y axes in KiB/MiB ('number' by default). */
  yFormat?: AxisFormat;
}

const FONT = 'DejaVu Sans, Verdana, sans-serif';
const TITLE_SIZE = 16;
const PANEL_TITLE_SIZE = 12.5;
const LABEL_SIZE = 13;
const LEGEND_SIZE = 12;

/** Indices of the points to draw: per half-pixel column the one with the highest stack, so no peak is lost. */
function decimate(x: ArrayLike<number>, total: Float64Array, px: (v: number) => number): number[] {
  const keep: number[] = [];
  let col = NaN;
  for (let i = 0; i < total.length; i++) {
    if (!Number.isFinite(x[i]!) || !Number.isFinite(total[i]!)) continue;
    const c = Math.round(px(x[i]!) * 2);
    if (c !== col) {
      keep.push(i);
      col = c;
    } else if (total[i]! > total[keep[keep.length - 1]!]!) keep[keep.length - 1] = i;
  }
  return keep;
}

/**
 * Renders the panels as one standalone SVG document. Each panel has its own x and y range (y from 0 to a round
 * tick above its highest stack), so small and large panels are both legible; compare them by their tick labels.
 *
 * @throws RangeError if `width`, `panelHeight` or `columns` is not positive.
 */
export function stackedPanels(opts: StackedPanelsOptions): string {
  const n = opts.panels.length;
  const cols = Math.round(opts.columns ?? Math.max(1, Math.ceil(Math.sqrt(n))));
  const W = Math.round(opts.width ?? 1080);
  const PH = Math.round(opts.panelHeight ?? 230);
  if (!(W > 0 && PH > 0 && cols > 0 && Number.isFinite(W + PH + cols))) {
    throw new RangeError(`stackedPanels: width, panelHeight and columns must be positive, got ${opts.width}, ${opts.panelHeight}, ${opts.columns}`);
  }
  const rows = Math.max(1, Math.ceil(n / cols));
  const colors = new Map<string, string>();
  for (const p of opts.panels) for (const l of p.layers) if (!colors.has(l.name)) colors.set(l.name, l.color ?? seriesColor(colors.size));

  const top = 36 + LEGEND_SIZE + 14; // title, then the legend row
  const left = opts.yLabel ? 10 + LABEL_SIZE + 6 : 6;
  const bottom = opts.xLabel ? 10 + LABEL_SIZE + 6 : 6;
  const H = top + rows * PH + bottom;
  const cellW = (W - left - 8) / cols;
  const parts: string[] = [el('rect', { x: 0, y: 0, width: W, height: H, fill: '#ffffff' })];
  if (opts.title) {
    parts.push(`<title>${escapeXml(opts.title)}</title>`);
    parts.push(el('text', { x: W / 2, y: 24, 'text-anchor': 'middle', 'font-size': TITLE_SIZE, 'font-weight': 'bold', fill: '#111111' }, escapeXml(opts.title)));
  }
  // Legend: one row of swatches under the title, centred.
  const names = [...colors.keys()];
  const itemW = names.map((s) => 14 + 5 + s.length * LEGEND_SIZE * 0.6 + 16);
  let lx = Math.max(4, (W - itemW.reduce((a, b) => a + b, 0)) / 2);
  const ly = 36;
  parts.push(el('g', { 'font-size': LEGEND_SIZE, fill: '#111111' }, names.map((name, i) => {
    const s = el('rect', { x: lx, y: ly + 1, width: 14, height: 10, fill: colors.get(name)!, stroke: '#00000033' })
      + el('text', { x: lx + 19, y: ly + 10 }, escapeXml(name));
    lx += itemW[i]!;
    return s;
  }).join('')));

  opts.panels.forEach((p, k) => {
    const cx = left + (k % cols) * cellW, cy = top + Math.floor(k / cols) * PH;
    const m = p.x.length;
    const total = new Float64Array(m);
    for (const l of p.layers) for (let i = 0; i < m; i++) total[i]! += Number.isFinite(l.y[i]!) ? l.y[i]! : 0;
    let xmin = Infinity, xmax = -Infinity, ymax = 0;
    for (let i = 0; i < m; i++) {
      if (p.x[i]! < xmin) xmin = p.x[i]!;
      if (p.x[i]! > xmax) xmax = p.x[i]!;
      if (total[i]! > ymax) ymax = total[i]!;
    }
    if (p.xDomain) [xmin, xmax] = p.xDomain;
    if (!(xmin <= xmax)) [xmin, xmax] = [0, 1];
    const plotH = PH - 26 - (TICK_LEN + 4 + TICK_SIZE) - 10;
    const ys = (opts.yFormat === 'bytes' ? bytesScale : linearScale)(0, ymax > 0 ? ymax : 1, plotH / 40, true);
    const yLabelW = Math.max(0, ...ys.ticks.map((t) => (t.label ?? '').length * TICK_SIZE * 0.6));
    const f = { x0: cx + yLabelW + TICK_LEN + 8, x1: cx + cellW - 12, y0: cy + 26, y1: cy + 26 + plotH };
    const xs = linearScale(xmin, xmax, (f.x1 - f.x0) / 55, false);
    const px = projector(xs, f.x0, f.x1), py = projector(ys, f.y1, f.y0);
    const axes = axisParts(xs, ys, px, py, f);
    const maxChars = Math.max(1, Math.floor((cellW - 8) / (PANEL_TITLE_SIZE * 0.6)));
    const title = p.title.length <= maxChars ? p.title : `${p.title.slice(0, maxChars - 1)}…`;
    parts.push(el('text', { x: cx + 4, y: cy + 14, 'font-size': PANEL_TITLE_SIZE, 'font-weight': 'bold', fill: '#111111' }, escapeXml(title)));
    parts.push(axes.under);
    const keep = decimate(p.x, total, px);
    const areas: string[] = [];
    let lower = keep.map(() => 0);
    if (keep.length) {
      const xs2 = keep.map((i) => num(px(p.x[i]!)));
      for (const l of p.layers) {
        const up = keep.map((i, j) => lower[j]! + (Number.isFinite(l.y[i]!) ? l.y[i]! : 0));
        let d = `M${xs2[0]} ${num(py(up[0]!))}`;
        for (let j = 1; j < keep.length; j++) d += `H${xs2[j]}V${num(py(up[j]!))}`;
        d += `H${num(f.x1)}V${num(py(lower[keep.length - 1]!))}`;
        for (let j = keep.length - 1; j >= 1; j--) d += `H${xs2[j]}V${num(py(lower[j - 1]!))}`;
        areas.push(el('path', { d: `${d}H${xs2[0]}Z`, fill: colors.get(l.name)!, stroke: 'none' }));
        lower = up;
      }
    }
    parts.push(el('g', {}, areas.join('')));
    parts.push(axes.over);
  });
  if (opts.xLabel) parts.push(el('text', { x: left + (W - left) / 2, y: H - 10, 'text-anchor': 'middle', 'font-size': LABEL_SIZE, fill: '#111111' }, escapeXml(opts.xLabel)));
  if (opts.yLabel) {
    const cy = top + (rows * PH) / 2;
    parts.push(el('text', {
      x: 10 + LABEL_SIZE, y: cy, 'text-anchor': 'middle', 'font-size': LABEL_SIZE, fill: '#111111', transform: `rotate(-90 ${num(10 + LABEL_SIZE)} ${num(cy)})`,
    }, escapeXml(opts.yLabel)));
  }
  return el('svg', { xmlns: 'http://www.w3.org/2000/svg', width: W, height: H, viewBox: `0 0 ${W} ${H}`, 'font-family': FONT }, `\n${parts.join('\n')}\n`) + '\n';
}
