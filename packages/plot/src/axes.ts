/** Grid lines, tick marks and tick labels of a plot area, shared by every chart type. */
import type { Scale } from './scale.js';
import { el, escapeXml, num } from './svg.js';

/** Tick font size and mark length, in pixels. */
export const TICK_SIZE = 11;
export const TICK_LEN = 5;

/** The plot area in pixels: left, right, top, bottom. */
export interface Frame {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/**
 * SVG for the axes of one plot area: light grid lines at labelled ticks (under the data), and the tick marks and
 * labels (over it). Ticks outside the frame are skipped; minor ticks (no label) get a shorter mark and no grid line.
 */
export function axisParts(xs: Scale, ys: Scale, px: (v: number) => number, py: (v: number) => number, f: Frame): { under: string; over: string } {
  const grid: string[] = [];
  const marks: string[] = [];
  const labels: string[] = [];
  for (const t of xs.ticks) {
    const x = px(t.value);
    if (!Number.isFinite(x) || x < f.x0 - 0.5 || x > f.x1 + 0.5) continue;
    grid.push(`M${num(x)} ${num(f.y0)}V${num(f.y1)}`);
    marks.push(`M${num(x)} ${num(f.y1)}v${TICK_LEN}`);
    if (t.label) labels.push(el('text', { x, y: f.y1 + TICK_LEN + 3 + TICK_SIZE, 'text-anchor': 'middle' }, escapeXml(t.label)));
  }
  for (const t of ys.ticks) {
    const y = py(t.value);
    if (!Number.isFinite(y) || y < f.y0 - 0.5 || y > f.y1 + 0.5) continue;
    const len = t.label ? TICK_LEN : TICK_LEN * 0.6;
    if (t.label) grid.push(`M${num(f.x0)} ${num(y)}H${num(f.x1)}`);
    marks.push(`M${num(f.x0)} ${num(y)}h${num(-len)}`);
    if (t.label) labels.push(el('text', { x: f.x0 - TICK_LEN - 4, y: y + TICK_SIZE * 0.35, 'text-anchor': 'end' }, escapeXml(t.label)));
  }
  const under = grid.length ? el('path', { d: grid.join(''), stroke: '#e5e5e5', 'stroke-width': 1, fill: 'none' }) : '';
  const frame = el('rect', { x: f.x0, y: f.y0, width: f.x1 - f.x0, height: f.y1 - f.y0, fill: 'none', stroke: '#333333', 'stroke-width': 1 });
  const over = frame
    + (marks.length ? el('path', { d: marks.join(''), stroke: '#333333', 'stroke-width': 1, fill: 'none' }) : '')
    + el('g', { 'font-size': TICK_SIZE, fill: '#333333' }, labels.join(''));
  return { under, over };
}
