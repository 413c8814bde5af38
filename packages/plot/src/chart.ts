/** Line charts as standalone SVG documents. */
import { seriesColor } from './palette.js';
import { bytesScale, linearScale, logBytesScale, logScale, padRange, projector, type Scale } from './scale.js';
import { axisParts, TICK_LEN, TICK_SIZE } from './axes.js';
import { el, escapeXml, num } from './svg.js';

/** One line on a chart. Points are paired by index; extra entries in the longer of `x`/`y` are ignored. */
export interface Series {
  /** Legend entry. */
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Any SVG/CSS colour; defaults to the next Okabe–Ito colour. */
  color?: string;
  dashed?: boolean;
}

/** How an axis labels its ticks: plain numbers, or bytes in KiB/MiB/GiB. */
export type AxisFormat = 'number' | 'bytes';

/** What `lineChart` draws: the title, the axis labels, the series and the canvas. */
export interface LineChartOptions {
  /** Chart title, above the plot area. */
  title: string;
  /** Label of the x axis. */
  xLabel: string;
  /** Label of the y axis. */
  yLabel: string;
  /** The lines, drawn in order; the legend lists them. */
  series: Series[];
  /** Base-10 log y axis (base 2 for bytes); points with y ≤ 0 are skipped (and break the line). */
  logY?: boolean;
  /**
   * 'bytes': y values are bytes, ticked in one binary unit per axis ('0', '256 KiB', '512 KiB') on round steps;
   * on a log axis at powers of two. Default 'number'.
   */
  yFormat?: AxisFormat;
  /** Pixels; default 720. */
  width?: number;
  /** Pixels; default 450. */
  height?: number;
  /**
   * Same data units per pixel on both axes, for phase portraits where a circle must look like one.
   * The axis with the relatively smaller range is widened around its centre. Ignored with `logY`.
   */
  equalAspect?: boolean;
}

const FONT = 'DejaVu Sans, Verdana, sans-serif';
const TITLE_SIZE = 16;
const LABEL_SIZE = 13;
const LEGEND_SIZE = 12;
// DejaVu Sans is wide; 0.6 em per character over-estimates slightly, which errs towards no overlap.
const CHAR_EM = 0.6;
const LEGEND_SWATCH = 24;
const LEGEND_ROW = 18;
// Points closer than this to the previous kept point add nothing visible, but long ODE trajectories
// would otherwise produce megabyte-sized paths.
const MIN_SEGMENT_PX = 0.3;

function textWidth(s: string, size: number): number {
  return s.length * size * CHAR_EM;
}

function truncate(s: string, maxWidth: number, size: number): string {
  const maxChars = Math.max(1, Math.floor(maxWidth / (size * CHAR_EM)));
  return s.length <= maxChars ? s : `${s.slice(0, Math.max(0, maxChars - 1))}…`;
}

/** Whether a point can be drawn at all on this chart. */
function usable(x: number, y: number, logY: boolean): boolean {
  return Number.isFinite(x) && Number.isFinite(y) && (!logY || y > 0);
}

function extents(series: Series[], logY: boolean): { x: [number, number]; y: [number, number] } | undefined {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const s of series) {
    const n = Math.min(s.x.length, s.y.length);
    for (let i = 0; i < n; i++) {
      const x = s.x[i]!, y = s.y[i]!;
      if (!usable(x, y, logY)) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  return x0 <= x1 ? { x: [x0, x1], y: [y0, y1] } : undefined;
}

/** Widens one of the two ranges so both have the same units per pixel over a `w` × `h` area. */
function equalize(x: [number, number], y: [number, number], w: number, h: number): [[number, number], [number, number]] {
  x = padRange(x[0], x[1]);
  y = padRange(y[0], y[1]);
  const upp = Math.max((x[1] - x[0]) / w, (y[1] - y[0]) / h);
  const widen = (r: [number, number], px: number): [number, number] => {
    const c = (r[0] + r[1]) / 2, half = (upp * px) / 2;
    return [c - half, c + half];
  };
  return [widen(x, w), widen(y, h)];
}

/** SVG path data for one series, broken into separate subpaths wherever a point cannot be drawn. */
function seriesGeometry(
  s: Series, logY: boolean, px: (v: number) => number, py: (v: number) => number,
): { d: string; dots: Array<[number, number]> } {
  const n = Math.min(s.x.length, s.y.length);
  let d = '';
  const dots: Array<[number, number]> = [];
  let run: Array<[number, number]> = [];
  const flush = () => {
    // A lone point between gaps would be an invisible zero-length subpath; draw it as a dot instead.
    if (run.length === 1) dots.push(run[0]!);
    else if (run.length > 1) d += run.map(([a, b], i) => `${i === 0 ? 'M' : 'L'}${num(a)} ${num(b)}`).join('');
    run = [];
  };
  let pending: [number, number] | undefined; // last skipped point, kept so a run always ends where the data ends
  for (let i = 0; i < n; i++) {
    const x = s.x[i]!, y = s.y[i]!;
    const p: [number, number] = [px(x), py(y)];
    if (!usable(x, y, logY) || !Number.isFinite(p[0]) || !Number.isFinite(p[1])) {
      if (pending) run.push(pending);
      pending = undefined;
      flush();
      continue;
    }
    const last = run[run.length - 1];
    if (last && Math.hypot(p[0] - last[0], p[1] - last[1]) < MIN_SEGMENT_PX) {
      pending = p;
      continue;
    }
    pending = undefined;
    run.push(p);
  }
  if (pending) run.push(pending);
  flush();
  return { d, dots };
}

/**
 * Renders a line chart as a standalone SVG document (UTF-8 XML, no external resources).
 *
 * Non-finite points, and non-positive ones on a log axis, are skipped and break the line there.
 * Empty input or constant data still yields a valid chart with sensible axes.
 *
 * @throws RangeError if `width` or `height` is not a positive finite number.
 */
export function lineChart(opts: LineChartOptions): string {
  const W = Math.round(opts.width ?? 720);
  const H = Math.round(opts.height ?? 450);
  if (!(W > 0 && H > 0 && Number.isFinite(W) && Number.isFinite(H))) {
    throw new RangeError(`lineChart: width and height must be positive, got ${opts.width} × ${opts.height}`);
  }
  const logY = opts.logY ?? false;
  const equal = (opts.equalAspect ?? false) && !logY;
  const series = opts.series;

  // Legend: outside the plot on the right, so it can never hide data.
  const named = series.map((s, i) => ({ s, color: s.color ?? seriesColor(i) })).filter(({ s }) => s.name !== '');
  const legendMaxText = W * 0.3;
  const legendText = named.map(({ s }) => truncate(s.name, legendMaxText, LEGEND_SIZE));
  const legendW = named.length === 0 ? 0
    : LEGEND_SWATCH + 6 + Math.max(...legendText.map((t) => textWidth(t, LEGEND_SIZE))) + 16;

  const top = opts.title ? 40 : 16;
  const bottom = TICK_LEN + 4 + TICK_SIZE + (opts.xLabel ? 10 + LABEL_SIZE : 0) + 12;
  const right = legendW > 0 ? legendW + 12 : 20;
  const plotH = Math.max(10, Math.floor(H - top - bottom));

  const data = extents(series, logY);
  const xData: [number, number] = data?.x ?? [0, 1];
  const yData: [number, number] = data?.y ?? (logY ? [1, 10] : [0, 1]);

  // The left margin depends on the y tick labels, and with equal aspect the y ticks depend on the plot
  // width, so settle the layout by iterating; two passes converge in practice, the third is a safety margin.
  let left = 60;
  let xs!: Scale, ys!: Scale, plotW = 0;
  for (let pass = 0; pass < 3; pass++) {
    plotW = Math.max(10, Math.floor(W - left - right));
    let xr = xData, yr = yData;
    if (equal) [xr, yr] = equalize(xData, yData, plotW, plotH);
    const bytes = opts.yFormat === 'bytes';
    ys = logY ? (bytes ? logBytesScale : logScale)(yr[0], yr[1], plotH / 45) : (bytes ? bytesScale : linearScale)(yr[0], yr[1], plotH / 45, !equal);
    // Fewer x ticks when labels are long, so neighbours never collide.
    let target = plotW / 80;
    for (let k = 0; k < 4; k++) {
      xs = linearScale(xr[0], xr[1], target, !equal);
      const widest = Math.max(0, ...xs.ticks.map((t) => textWidth(t.label ?? '', TICK_SIZE)));
      if ((widest + 12) * xs.ticks.length <= plotW) break;
      target = Math.max(1, plotW / (widest + 12) - 1);
    }
    const yLabelW = Math.max(0, ...ys.ticks.map((t) => textWidth(t.label ?? '', TICK_SIZE)));
    const want = Math.ceil(10 + (opts.yLabel ? LABEL_SIZE + 10 : 0) + yLabelW + 4 + TICK_LEN);
    if (want === left) break;
    left = want;
  }

  const x0 = left, x1 = left + plotW, y0 = top, y1 = top + plotH;
  const px = projector(xs, x0, x1);
  const py = projector(ys, y1, y0);
  const parts: string[] = [];

  parts.push(el('rect', { x: 0, y: 0, width: W, height: H, fill: '#ffffff' }));
  if (opts.title) parts.push(`<title>${escapeXml(opts.title)}</title>`);
  // Clip a little outside the frame so lines lying exactly on the domain edge keep their full width.
  parts.push(`<defs>${el('clipPath', { id: 'plot-area' }, el('rect', { x: x0 - 2, y: y0 - 2, width: plotW + 4, height: plotH + 4 }))}</defs>`);

  const axes = axisParts(xs, ys, px, py, { x0, x1, y0, y1 });
  parts.push(axes.under);

  // Data.
  const lines: string[] = [];
  series.forEach((s, i) => {
    const color = s.color ?? seriesColor(i);
    const { d, dots } = seriesGeometry(s, logY, px, py);
    if (d) {
      lines.push(el('path', {
        d, fill: 'none', stroke: color, 'stroke-width': 1.75, 'stroke-linejoin': 'round', 'stroke-linecap': 'round',
        'stroke-dasharray': s.dashed ? '6 4' : undefined,
      }));
    }
    for (const [cx, cy] of dots) lines.push(el('circle', { cx, cy, r: 2, fill: color }));
  });
  if (lines.length) parts.push(el('g', { 'clip-path': 'url(#plot-area)' }, lines.join('')));
  else {
    parts.push(el('text', {
      x: (x0 + x1) / 2, y: (y0 + y1) / 2, 'text-anchor': 'middle', 'font-size': LABEL_SIZE, fill: '#888888',
    }, 'no data'));
  }

  // Frame over the data so the border stays crisp where lines touch it.
  parts.push(axes.over);

  // Titles.
  if (opts.title) {
    parts.push(el('text', {
      x: W / 2, y: 26, 'text-anchor': 'middle', 'font-size': TITLE_SIZE, 'font-weight': 'bold', fill: '#111111',
    }, escapeXml(opts.title)));
  }
  if (opts.xLabel) {
    parts.push(el('text', {
      x: (x0 + x1) / 2, y: H - 12, 'text-anchor': 'middle', 'font-size': LABEL_SIZE, fill: '#111111',
    }, escapeXml(opts.xLabel)));
  }
  if (opts.yLabel) {
    const cy = (y0 + y1) / 2;
    parts.push(el('text', {
      x: 10 + LABEL_SIZE, y: cy, 'text-anchor': 'middle', 'font-size': LABEL_SIZE, fill: '#111111',
      transform: `rotate(-90 ${num(10 + LABEL_SIZE)} ${num(cy)})`,
    }, escapeXml(opts.yLabel)));
  }

  // Legend.
  if (named.length) {
    const lx = x1 + 12;
    const ly = y0;
    const entries = named.map(({ s, color }, i) => {
      const y = ly + 8 + LEGEND_ROW * i + LEGEND_ROW / 2;
      return el('path', {
        d: `M${num(lx + 8)} ${num(y)}h${LEGEND_SWATCH}`, stroke: color, 'stroke-width': 2.5, fill: 'none',
        'stroke-dasharray': s.dashed ? '6 4' : undefined,
      }) + el('text', { x: lx + 8 + LEGEND_SWATCH + 6, y: y + LEGEND_SIZE * 0.35 }, escapeXml(legendText[i]!));
    });
    parts.push(el('g', { 'font-size': LEGEND_SIZE, fill: '#111111' }, [
      el('rect', {
        x: lx, y: ly, width: legendW - 4, height: LEGEND_ROW * named.length + 16,
        fill: '#ffffff', stroke: '#cccccc', 'stroke-width': 1, rx: 3,
      }),
      ...entries,
    ].join('')));
  }

  return el('svg', {
    xmlns: 'http://www.w3.org/2000/svg',
    width: W, height: H, viewBox: `0 0 ${W} ${H}`,
    'font-family': FONT,
  }, `\n${parts.join('\n')}\n`) + '\n';
}
