/**
 * Small canvas charts for the page: the loss curve (log scale) and the phase portrait (learned vs true),
 * and horizontal byte bars as HTML. No chart library: a few lines of canvas each.
 */
export const COLORS: Record<string, string> = {
  'symplectic-adjoint': '#1f77b4',
  checkpoint: '#2ca02c',
  backprop: '#d62728',
  adjoint: '#9467bd',
  true: '#888888',
  learned: '#ff7f0e',
};
/** Colours of the memory labels (device.memory.scope), in the stacking order of the timeline. */
export const LABEL_COLORS: Record<string, string> = {
  parameters: '#7f7f7f',
  optimizer: '#bcbd22',
  gradients: '#8c564b',
  checkpoints: '#1f77b4',
  stages: '#17becf',
  network: '#ff7f0e',
  adjoint: '#9467bd',
  unlabeled: '#c7c7c7',
};
const PAD = { left: 52, right: 12, top: 12, bottom: 28 };

/** A canvas sized for the device pixel ratio; returns its 2d context and size in CSS pixels. */
function prepare(canvas: HTMLCanvasElement): { ctx: CanvasRenderingContext2D; w: number; h: number } {
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  if (canvas.width !== Math.round(w * ratio)) canvas.width = Math.round(w * ratio);
  if (canvas.height !== Math.round(h * ratio)) canvas.height = Math.round(h * ratio);
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, w, h);
  ctx.font = '11px system-ui, sans-serif';
  return { ctx, w, h };
}

function axes(ctx: CanvasRenderingContext2D, w: number, h: number, xLabel: string, yLabel: string): void {
  ctx.strokeStyle = '#999';
  ctx.strokeRect(PAD.left, PAD.top, w - PAD.left - PAD.right, h - PAD.top - PAD.bottom);
  ctx.fillStyle = '#444';
  ctx.textAlign = 'center';
  ctx.fillText(xLabel, (PAD.left + w - PAD.right) / 2, h - 4);
  ctx.save();
  ctx.translate(11, (PAD.top + h - PAD.bottom) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(yLabel, 0, 0);
  ctx.restore();
}

/** Batch loss per iteration on a log scale; each point coloured by the gradient method that produced it. */
export function drawLoss(canvas: HTMLCanvasElement, points: { iter: number; loss: number; method: string }[]): void {
  const { ctx, w, h } = prepare(canvas);
  axes(ctx, w, h, 'iteration', 'batch loss (log)');
  if (points.length === 0) return;
  const lo = Math.log10(Math.min(...points.map((p) => p.loss)));
  const hi = Math.log10(Math.max(...points.map((p) => p.loss)));
  const y0 = Math.floor(lo * 2) / 2, y1 = Math.max(Math.ceil(hi * 2) / 2, y0 + 0.5);
  const n = Math.max(points[points.length - 1].iter, 10);
  const X = (i: number) => PAD.left + ((i - 1) / Math.max(n - 1, 1)) * (w - PAD.left - PAD.right);
  const Y = (l: number) => h - PAD.bottom - ((Math.log10(l) - y0) / (y1 - y0)) * (h - PAD.top - PAD.bottom);
  ctx.fillStyle = '#444';
  ctx.textAlign = 'right';
  for (let e = y0; e <= y1 + 1e-9; e += 0.5) ctx.fillText(Number(10 ** e).toPrecision(2), PAD.left - 4, Y(10 ** e) + 4);
  ctx.textAlign = 'center';
  ctx.fillText(String(n), X(n), h - PAD.bottom + 12);
  const methods = [...new Set(points.map((p) => p.method))];
  ctx.textAlign = 'right';
  methods.forEach((m, i) => {
    ctx.fillStyle = COLORS[m] ?? '#333';
    ctx.fillText(m, w - PAD.right - 6, PAD.top + 14 + 13 * i);
  });
  ctx.lineWidth = 1.5;
  for (let k = 1; k < points.length; k++) {
    ctx.strokeStyle = COLORS[points[k].method] ?? '#333';
    ctx.beginPath();
    ctx.moveTo(X(points[k - 1].iter), Y(points[k - 1].loss));
    ctx.lineTo(X(points[k].iter), Y(points[k].loss));
    ctx.stroke();
  }
}

/** y₂ against y₁ for the true and learned trajectories (interleaved [y₁, y₂, …]), equal aspect. */
export function drawPhase(canvas: HTMLCanvasElement, truth: Float64Array, learned: Float64Array | null): void {
  const { ctx, w, h } = prepare(canvas);
  axes(ctx, w, h, 'y₁', 'y₂');
  const range = 2.4;
  const side = Math.min(w - PAD.left - PAD.right, h - PAD.top - PAD.bottom);
  const cx = (PAD.left + w - PAD.right) / 2, cy = (PAD.top + h - PAD.bottom) / 2;
  const clamp = (v: number) => Math.max(-range * 1.05, Math.min(range * 1.05, v));
  const X = (v: number) => cx + (clamp(v) / range) * (side / 2);
  const Y = (v: number) => cy - (clamp(v) / range) * (side / 2);
  const line = (ys: Float64Array, color: string, dash: number[]) => {
    ctx.strokeStyle = color;
    ctx.setLineDash(dash);
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    for (let i = 0; i < ys.length; i += 2) (i === 0 ? ctx.moveTo : ctx.lineTo).call(ctx, X(ys[i]), Y(ys[i + 1]));
    ctx.stroke();
    ctx.setLineDash([]);
  };
  line(truth, COLORS.true, []);
  if (learned) line(learned, COLORS.learned, [5, 3]);
  ctx.textAlign = 'left';
  ctx.fillStyle = COLORS.true;
  ctx.fillText('— true', PAD.left + 6, PAD.top + 14);
  ctx.fillStyle = COLORS.learned;
  ctx.fillText('- - learned', PAD.left + 6, PAD.top + 28);
}

/** Live bytes over time (ms), stacked by label. */
export function drawTimeline(canvas: HTMLCanvasElement, samples: { timeMs: number; byLabel: Record<string, number> }[]): void {
  const { ctx, w, h } = prepare(canvas);
  const pad = { ...PAD, left: 66, top: 26 };
  ctx.strokeStyle = '#999';
  ctx.strokeRect(pad.left, pad.top, w - pad.left - pad.right, h - pad.top - pad.bottom);
  ctx.fillStyle = '#444';
  ctx.textAlign = 'center';
  ctx.fillText('ms', (pad.left + w - pad.right) / 2, h - 4);
  if (samples.length < 2) return;
  const labels = Object.keys(LABEL_COLORS).filter((l) => samples.some((s) => (s.byLabel[l] ?? 0) > 0));
  for (const s of samples) for (const l of Object.keys(s.byLabel)) if (!labels.includes(l) && s.byLabel[l] > 0) labels.push(l);
  const top = Math.max(1, ...samples.map((s) => labels.reduce((a, l) => a + (s.byLabel[l] ?? 0), 0)));
  const end = Math.max(samples[samples.length - 1].timeMs, 1e-3);
  const X = (t: number) => pad.left + (t / end) * (w - pad.left - pad.right);
  const Y = (b: number) => h - pad.bottom - (b / top) * (h - pad.top - pad.bottom);
  ctx.fillStyle = '#444';
  ctx.textAlign = 'right';
  ctx.fillText(formatBytes(top), pad.left - 4, pad.top + 8);
  ctx.fillText('0', pad.left - 4, h - pad.bottom);
  ctx.textAlign = 'center';
  ctx.fillText(end.toFixed(0), X(end), h - pad.bottom + 12);
  const below = samples.map(() => 0);
  labels.forEach((l) => {
    ctx.fillStyle = LABEL_COLORS[l] ?? '#333';
    ctx.beginPath();
    samples.forEach((s, i) => ctx.lineTo(X(s.timeMs), Y(below[i] + (s.byLabel[l] ?? 0))));
    for (let i = samples.length - 1; i >= 0; i--) ctx.lineTo(X(samples[i].timeMs), Y(below[i]));
    ctx.closePath();
    ctx.fill();
    samples.forEach((s, i) => (below[i] += s.byLabel[l] ?? 0));
  });
  // Legend in the band above the plot, in stacking order.
  let x = pad.left;
  ctx.textAlign = 'left';
  for (const l of labels) {
    ctx.fillStyle = LABEL_COLORS[l] ?? '#333';
    ctx.fillRect(x, 8, 9, 9);
    ctx.fillStyle = '#444';
    ctx.fillText(l, x + 12, 16);
    x += 18 + ctx.measureText(l).width;
  }
}

export function formatBytes(n: number): string {
  if (Math.abs(n) < 1024) return `${n} B`;
  if (Math.abs(n) < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 ** 2).toFixed(2)} MiB`;
}

/** Rows of `label | bar | bytes`, bars scaled to the largest value (or to `max`). */
export function barRows(rows: { label: string; bytes: number; color?: string }[], max?: number): string {
  const top = Math.max(max ?? 0, ...rows.map((r) => r.bytes), 1);
  return rows
    .map((r) => {
      const pct = Math.max(0, (100 * r.bytes) / top).toFixed(1);
      const color = r.color ?? '#1f77b4';
      return `<tr><th>${r.label}</th><td class="bar"><span style="width:${pct}%;background:${color}"></span></td><td class="num">${formatBytes(r.bytes)}</td></tr>`;
    })
    .join('');
}
