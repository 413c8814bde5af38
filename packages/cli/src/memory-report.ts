/**
 * `sympode memory`: one forward+backward of the spiral model with each gradient method, on a fresh bounded
 * allocator trace each. Prints peak bytes by label, charts live bytes by label over time (one panel per
 * method), writes the timelines as CSV, streams Chrome traces, and with `html` the interactive report.
 */
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { stagedOut } from './outputs.js';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createDevice, type MemoryStats } from '@sympode/tensor';
import { cliDevice, type BackendChoice } from './device.js';
import { GRADIENT_METHODS, type GradientMethodName, type OdeintStats } from '@sympode/symplectic';
import { formatBytes } from './format.js';
import { formatBytes as plotBytes, stackedPanels, writeChart } from '@sympode/plot';
import { BatchSampler, batchLoss, SpiralModel, spiralTimes, trueTrajectory } from './spiral.js';
import { timelineCsvChunks, timelineOf, type MethodTimeline } from './memory-timeline.js';
import { labelColor, memoryReportHtml } from './report-html.js';

/** Every registered gradient method (the registry's order: the default first). */
export const METHODS: readonly GradientMethodName[] = GRADIENT_METHODS;
const LABELS = ['checkpoints', 'stages', 'network', 'adjoint', 'parameters', 'gradients'] as const;

/** Events each method's trace keeps at most (a ring buffer: the newest win); the default run needs ~7 000. */
export const MEMORY_MAX_EVENTS = 200_000;

/** Options of `sympode memory` (flags of the same names). */
export interface MemoryOptions {
  backend: BackendChoice;
  seed: number;
  out: string;
  batchSize: number;
  batchTime: number;
  rtol: number;
  atol: number;
  /** Also write `memory-report.html`, the interactive report. */
  html?: boolean;
  /** Events each trace keeps (default `MEMORY_MAX_EVENTS`). */
  maxEvents?: number;
  quiet?: boolean;
}

/** One method's row of the table. */
export interface MethodMemory {
  method: GradientMethodName;
  peakBytes: number;
  peakByLabel: Record<string, number>;
  steps: number;
  ms: number;
}

/** Writes the chunks of `chunks` to `path` as a stream (with backpressure), never as one string. */
async function writeChunks(path: string, chunks: Iterable<string>): Promise<void> {
  await pipeline(Readable.from(chunks), createWriteStream(path));
}

/**
 * Runs one forward+backward per gradient method (the registry's order), prints and writes the table
 * (`memory.md`), the timelines (`memory-timeline.{csv,svg,png}`), the Chrome traces (`trace-<method>.json`)
 * and, with `html`, `memory-report.html`. Returns the table's rows.
 */
export async function memoryReport(opts: MemoryOptions): Promise<MethodMemory[]> {
  const log = opts.quiet ? () => undefined : (m: string) => console.log(m);
  const dev = await cliDevice(opts.backend, opts.seed, log);
  const cpu = dev.kind === 'cpu' && dev.dtype === 'float64' ? dev : await createDevice({ backend: 'cpu' });
  const times = spiralTimes();
  const trueY = await trueTrajectory(cpu, times);
  const batch = new BatchSampler(trueY, times, opts.batchTime, opts.batchSize, opts.seed).next();
  const results: MethodMemory[] = [];
  const timelines: MethodTimeline[] = [];
  const written: string[] = [];
  // Written to a staging folder and renamed into --out together: a failed write leaves the previous run's files.
  await stagedOut(opts.out, async (dir) => {
    const paths: string[] = [];
    for (const method of METHODS) {
      const model = new SpiralModel(dev, opts.seed);
      const y0 = dev.tensor(batch.y0, [opts.batchSize, 2]);
      const target = dev.tensor(batch.target, [opts.batchTime, opts.batchSize, 2]);
      await dev.sync();
      const before = dev.memory.stats();
      const base = before.liveBytes;
      dev.memory.resetPeak();
      const stats: Partial<OdeintStats> = {};
      const trace = dev.memory.startTrace({ maxEvents: opts.maxEvents ?? MEMORY_MAX_EVENTS });
      const start = performance.now();
      await dev.tidy(async () => {
        // Top-level phases, so every method's report shows where its backward starts (backprop's has no odeint phase).
        const loss = await dev.memory.phase('forward', () => batchLoss(model, y0, target, batch.t, { rtol: opts.rtol, atol: opts.atol, gradient: method, stats }));
        await dev.memory.phase('backward', () => loss.backward());
      });
      await dev.sync();
      const ms = performance.now() - start;
      dev.memory.stopTrace();
      const s: MemoryStats = dev.memory.stats();
      const peakByLabel = Object.fromEntries(LABELS.map((l) => [l, s.byLabel[l]?.peakBytes ?? 0]));
      results.push({ method, peakBytes: s.peakBytes - base, peakByLabel, steps: stats.acceptedSteps ?? 0, ms });
      const startByLabel = Object.fromEntries(Object.entries(before.byLabel).map(([l, b]) => [l, b.liveBytes]));
      timelines.push(timelineOf(method, trace, startByLabel));
      if (trace.dropped.events > 0) log(`${method}: the trace kept its newest ${trace.maxEvents} events and dropped ${trace.dropped.events} (--max-events)`);
      paths.push(join(dir, `trace-${method}.json`));
      await writeChunks(paths.at(-1)!, trace.chromeTraceChunks(`sympode ${method}`));
      model.mlp.dispose();
      dev.dispose(y0, target);
    }

    const header = ['method', 'steps', 'peak (above inputs)', ...LABELS.map((l) => `peak ${l}`), 'time'];
    const table = [
      `| ${header.join(' | ')} |`,
      `| ${header.map(() => '---').join(' | ')} |`,
      ...results.map((r) => `| ${[r.method, r.steps, formatBytes(r.peakBytes), ...LABELS.map((l) => formatBytes(r.peakByLabel[l])), `${r.ms.toFixed(0)} ms`].join(' | ')} |`),
    ].join('\n');
    log(`one forward+backward on ${dev.backend.description}, batch ${opts.batchSize}, ${opts.batchTime} output times, dopri5 rtol ${opts.rtol}:\n`);
    log(table);
    paths.push(join(dir, 'memory.md'), join(dir, 'memory-timeline.csv'));
    await writeFile(join(dir, 'memory.md'), table + '\n');
    const problem = `batch ${opts.batchSize}, ${opts.batchTime} output times, dopri5 rtol ${opts.rtol}, atol ${opts.atol}`;
    await writeChunks(join(dir, 'memory-timeline.csv'), timelineCsvChunks(timelines));
    // One panel per method, each on its own byte axis: on a shared axis backprop's peak flattens the others, and a
    // log axis would make the stacked areas meaningless (stack heights do not add on a log scale).
    const peaks = new Map<string, number>(results.map((r) => [r.method, r.peakBytes]));
    const chart = await writeChart(join(dir, 'memory-timeline'), stackedPanels({
      title: 'Live bytes by label during one forward+backward (peaks above inputs)', xLabel: 'time (ms)', yLabel: 'live bytes', yFormat: 'bytes',
      panels: timelines.map((t) => ({
        title: `${t.method} · peak ${plotBytes(peaks.get(t.method) ?? 0)}`,
        x: t.t,
        xDomain: [0, t.t.at(-1) ?? 1] as const,
        layers: t.labels.map((l, k) => ({ name: l, y: t.live[k]!, color: labelColor(l, k) })),
      })),
    }));
    paths.push(chart.svg, chart.png);
    const final = (f: string) => join(opts.out, f.slice(dir.length + 1));
    written.push(final(chart.svg), final(chart.png), 'memory-timeline.csv', 'memory.md', 'trace-<method>.json (open in https://ui.perfetto.dev)');
    if (opts.html) {
      const html = join(dir, 'memory-report.html');
      paths.push(html);
      const summaries = Object.fromEntries(results.map((r) => [r.method, `peak ${formatBytes(r.peakBytes)} above inputs · ${r.steps} steps · ${r.ms.toFixed(0)} ms`]));
      await writeFile(html, memoryReportHtml(timelines, {
        title: 'sympode memory: one forward+backward per gradient method',
        subtitle: `Spiral Neural ODE (MLP 2→50→2) on ${dev.backend.description}; ${problem}. Live bytes stacked by memory label; phases of odeint above.`,
        summaries,
      }));
      written.unshift(final(html));
    }
    return paths;
  });
  log(`\nwrote ${written.join(', ')}`);
  if (cpu !== dev) cpu.destroy();
  dev.destroy();
  return results;
}
