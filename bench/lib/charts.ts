/**
 * The run's charts (@sympode/plot): peak memory and time vs steps, peak vs hidden layers (measured solid, the
 * model dashed in the same colour), and live memory over one short solve + backward per method, with the
 * allocation traces (CSV and Chrome trace JSON).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lineChart, seriesColor, writeChart } from '@sympode/plot';
import { traceSolve, type SolveConfig } from './measure.js';
import { buildMlpOde, specLabel } from './problems.js';
import type { Session } from './session.js';
import type { BenchRow } from './types.js';

/** Writes the charts and traces into `outDir`; `files` lists everything written, `figures` the key charts. */
export async function drawCharts(session: Session, outDir: string): Promise<{ files: string[]; figures: string[] }> {
  const { rows, grid, primary } = session;
  const files: string[] = [];
  const figures: string[] = [];
  const prim = primary.backend.description;
  // One colour per method; the model's prediction is the same colour, dashed.
  const series = (section: BenchRow['section'], x: (r: BenchRow) => number, y: (r: BenchRow) => number, withModel = false) =>
    grid.gradients.flatMap((g, i) => {
      const rs = rows.filter((r) => r.section === section && r.backend === prim && r.gradient === g);
      const color = seriesColor(i);
      const s: { name: string; x: number[]; y: number[]; color: string; dashed?: boolean }[] = [{ name: g, x: rs.map(x), y: rs.map(y), color }];
      if (withModel) s.push({ name: `${g} (model)`, x: rs.map(x), y: rs.map((r) => r.predictedBytes), color, dashed: true });
      return s;
    });
  const w = async (name: string, svg: string, key: boolean) => {
    const out = await writeChart(join(outDir, name), svg);
    files.push(out.svg, out.png);
    if (key) figures.push(out.svg, out.png);
  };
  const shape = `${specLabel(grid.base)}, rk4, ${primary.kind}`;
  await w('memory_vs_steps', lineChart({ title: `Peak memory vs steps (${shape})`, xLabel: 'steps N', yLabel: 'peak above inputs', yFormat: 'bytes', logY: true, series: series('N-sweep', (r) => r.steps, (r) => r.peakBytes, true) }), true);
  await w('time_vs_steps', lineChart({ title: `Forward + backward time vs steps (${shape})`, xLabel: 'steps N', yLabel: 'ms (median)', logY: true, series: series('N-sweep', (r) => r.steps, (r) => r.totalMs) }), true);
  await w('memory_vs_layers', lineChart({ title: `Peak memory vs hidden layers (N = ${grid.lSweepN}, rk4, ${primary.kind})`, xLabel: 'hidden layers L', yLabel: 'peak above inputs', yFormat: 'bytes', logY: true, series: series('L-sweep', (r) => r.L, (r) => r.peakBytes, true) }), false);
  // Memory timelines: one short solve + backward per method.
  const p = buildMlpOde(primary, grid.base);
  const timeline: { name: string; x: number[]; y: number[]; color: string }[] = [];
  try {
    for (const g of grid.gradients) {
      const cfg: SolveConfig = { method: 'rk4', stepSize: 1 / grid.traceSteps, gradient: g };
      await traceSolve(p, cfg); // warm-up
      const tr = await traceSolve(p, cfg);
      timeline.push({ name: g, x: tr.timeMs, y: tr.liveBytes, color: seriesColor(grid.gradients.indexOf(g)) });
      const base = join(outDir, `trace_${g}`);
      await writeFile(`${base}.csv`, tr.csv);
      await writeFile(`${base}.json`, tr.chrome);
      files.push(`${base}.csv`, `${base}.json`);
    }
  } finally {
    p.dispose();
  }
  await w('memory_timeline', lineChart({ title: `Live memory: one solve + backward (${grid.traceSteps} rk4 steps, ${primary.kind})`, xLabel: 'ms', yLabel: 'live above inputs', yFormat: 'bytes', series: timeline }), true);
  return { files, figures };
}
