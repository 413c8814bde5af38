/**
 * `sympode memory`: one forward+backward of the spiral model with each gradient method, on a fresh
 * allocator trace each. Prints peak bytes by label, charts live bytes over time, writes Chrome traces.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createDevice, type MemoryStats } from '@sympode/tensor';
import { cliDevice, type BackendChoice } from './device.js';
import { GRADIENT_METHODS, type GradientMethodName, type OdeintStats } from '@sympode/symplectic';
import { formatBytes } from './format.js';
import { lineChart, writeChart } from '@sympode/plot';
import { BatchSampler, batchLoss, SpiralModel, spiralTimes, trueTrajectory } from './spiral.js';

/** Every registered gradient method (the registry's order: the default first). */
export const METHODS: readonly GradientMethodName[] = GRADIENT_METHODS;
const LABELS = ['checkpoints', 'stages', 'network', 'adjoint', 'parameters', 'gradients'] as const;

export interface MemoryOptions {
  backend: BackendChoice;
  seed: number;
  out: string;
  batchSize: number;
  batchTime: number;
  rtol: number;
  atol: number;
  quiet?: boolean;
}

export interface MethodMemory {
  method: GradientMethodName;
  peakBytes: number;
  peakByLabel: Record<string, number>;
  steps: number;
  ms: number;
}

export async function memoryReport(opts: MemoryOptions): Promise<MethodMemory[]> {
  const log = opts.quiet ? () => undefined : (m: string) => console.log(m);
  const dev = await cliDevice(opts.backend, opts.seed, log);
  const cpu = dev.kind === 'cpu' && dev.dtype === 'float64' ? dev : await createDevice({ backend: 'cpu' });
  const times = spiralTimes();
  const trueY = await trueTrajectory(cpu, times);
  const batch = new BatchSampler(trueY, times, opts.batchTime, opts.batchSize, opts.seed).next();
  await mkdir(opts.out, { recursive: true });

  const results: MethodMemory[] = [];
  const timelines: { name: string; x: number[]; y: number[] }[] = [];
  for (const method of METHODS) {
    const model = new SpiralModel(dev, opts.seed);
    const y0 = dev.tensor(batch.y0, [opts.batchSize, 2]);
    const target = dev.tensor(batch.target, [opts.batchTime, opts.batchSize, 2]);
    await dev.sync();
    const base = dev.memory.stats().liveBytes;
    dev.memory.resetPeak();
    const stats: Partial<OdeintStats> = {};
    const trace = dev.memory.startTrace();
    const start = performance.now();
    await dev.tidy(async () => {
      const loss = await batchLoss(model, y0, target, batch.t, { rtol: opts.rtol, atol: opts.atol, gradient: method, stats });
      await loss.backward();
    });
    await dev.sync();
    const ms = performance.now() - start;
    dev.memory.stopTrace();
    const s: MemoryStats = dev.memory.stats();
    const peakByLabel = Object.fromEntries(LABELS.map((l) => [l, s.byLabel[l]?.peakBytes ?? 0]));
    results.push({ method, peakBytes: s.peakBytes - base, peakByLabel, steps: stats.acceptedSteps ?? 0, ms });
    timelines.push({ name: method, x: trace.events.map((e) => e.timeMs), y: trace.events.map((e) => e.liveBytes - base) });
    await writeFile(join(opts.out, `trace-${method}.json`), trace.toChromeTrace(`sympode ${method}`));
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
  await writeFile(join(opts.out, 'memory.md'), table + '\n');
  const chart = await writeChart(join(opts.out, 'memory-timeline'), lineChart({
    title: 'Live bytes during one forward+backward', xLabel: 'time (ms)', yLabel: 'live bytes above inputs',
    series: timelines,
  }));
  log(`\nwrote ${chart.svg}, ${chart.png}, memory.md and trace-<method>.json (open in https://ui.perfetto.dev)`);
  if (cpu !== dev) cpu.destroy();
  dev.destroy();
  return results;
}
