/**
 * The memory report's data: timelines rebuilt from a trace stack up to the allocator's live bytes and nest the
 * phases; `sympode memory --html` writes one self-contained page with every method; every chart of `train` and
 * `memory` can be redrawn from the CSVs they write.
 */
import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createDevice } from '@sympode/tensor';
import { GRADIENT_METHODS } from '@sympode/symplectic';
import { timelineCsvChunks, timelineOf } from '../../packages/cli/src/memory-timeline.js';
import { memoryReportHtml } from '../../packages/cli/src/report-html.js';
import { memoryReport } from '../../packages/cli/src/memory-report.js';
import { train } from '../../packages/cli/src/train.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('timelineOf', () => {
  it('stacks live bytes per label to the allocator total, and rebuilds nested phases', async () => {
    const dev = await createDevice({ backend: 'cpu' });
    const keep = dev.memory.scope('parameters', () => dev.zeros([10]));
    const start = Object.fromEntries(Object.entries(dev.memory.stats().byLabel).map(([l, s]) => [l, s.liveBytes]));
    const trace = dev.memory.startTrace({ maxEvents: 1000 });
    const totals: number[] = [];
    await dev.memory.phase('outer', async () => {
      const a = dev.memory.scope('stages', () => dev.zeros([4, 4]));
      await dev.memory.phase('inner', () => {
        const b = dev.memory.scope('network', () => dev.ones([8]));
        b.dispose();
      });
      a.dispose();
    });
    dev.memory.stopTrace();
    for (const e of trace.events) if (e.kind === 'alloc' || e.kind === 'free') totals.push(e.liveBytes);
    const tl = timelineOf('m', trace, start);
    expect(tl.labels).toEqual(['parameters', 'stages', 'network']);
    expect(tl.total).toEqual(totals);
    expect(tl.baseBytes).toBe(80);
    expect(tl.peakBytes).toBe(80 + 128 + 64);
    expect(tl.strings[tl.op[0]!]).toBe('full');
    expect(tl.strings[tl.phase[1]!]).toBe('inner');
    expect(tl.phases.map((p) => [p.name, p.depth])).toEqual([['outer', 0], ['inner', 1]]);
    expect(tl.phases[1]!.t0).toBeGreaterThanOrEqual(tl.phases[0]!.t0);
    expect(tl.phases[1]!.t1).toBeLessThanOrEqual(tl.phases[0]!.t1);
    const csv = [...timelineCsvChunks([tl])].join('').trim().split('\n');
    expect(csv[0]).toBe('method,time_ms,event,op,shape,bytes,label,phase,total_bytes,parameters_bytes,stages_bytes,network_bytes');
    expect(csv).toHaveLength(1 + tl.t.length);
    expect(csv[2]).toMatch(/^m,[\d.]+,alloc,full,8,64,network,inner,272,80,128,64$/);
    // Embedded safely: a label that closes the script element cannot break out of the JSON.
    const html = memoryReportHtml([{ ...tl, labels: ['</script><b>x'] }], { title: 't <1>', subtitle: 's', summaries: {} });
    expect(html).toContain('<title>t &lt;1&gt;</title>');
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    // A ring buffer that dropped the start: totals still equal the allocator's, the cut phase starts at the first event.
    const small = dev.memory.startTrace({ maxEvents: 5 });
    await dev.memory.phase('cut', () => {
      const xs = [1, 2, 3, 4].map((k) => dev.memory.scope('stages', () => dev.zeros([k])));
      for (const x of xs) x.dispose();
    });
    dev.memory.stopTrace();
    const cut = timelineOf('cut', small, start);
    expect(cut.dropped.events).toBeGreaterThan(0);
    expect(cut.total).toEqual(small.events.filter((e) => e.kind === 'alloc' || e.kind === 'free').map((e) => e.liveBytes));
    expect(cut.phases).toMatchObject([{ name: 'cut', depth: 0, t0: small.events[0]!.timeMs }]);
    keep.dispose();
    dev.destroy();
  });
});

describe('sympode memory --html and the CSVs', () => {
  it('writes one self-contained page with every method, streamed traces and the timeline CSV', async () => {
    const dir = await tempDir('report');
    await memoryReport({ backend: 'cpu', seed: 0, out: dir, batchSize: 4, batchTime: 5, rtol: 1e-5, atol: 1e-7, html: true, maxEvents: 50_000, quiet: true });
    const html = await readFile(join(dir, 'memory-report.html'), 'utf8');
    // Nothing to fetch: no script or stylesheet by URL, no URL but the SVG namespace.
    expect(/<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/.exec(html)?.[0]).toBeUndefined();
    const data = JSON.parse(/<script type="application\/json" id="sympode-data">(.*?)<\/script>/s.exec(html)![1]!);
    expect(data.timelines.map((t: { method: string }) => t.method)).toEqual([...GRADIENT_METHODS]);
    for (const t of data.timelines) {
      expect(t.t.length).toBeGreaterThan(50);
      expect(t.phases.length).toBeGreaterThan(0);
      expect(t.dropped.events).toBe(0);
    }
    for (const m of GRADIENT_METHODS) {
      const trace = JSON.parse(await readFile(join(dir, `trace-${m}.json`), 'utf8'));
      expect(trace.traceEvents.some((e: { cat?: string }) => e.cat === 'phase')).toBe(true);
    }
    // The memory figure's series (live bytes per label per method) are the CSV's columns.
    const csv = (await readFile(join(dir, 'memory-timeline.csv'), 'utf8')).trim().split('\n');
    const header = csv[0]!.split(',');
    for (const l of data.labels) expect(header).toContain(`${l}_bytes`);
    expect(new Set(csv.slice(1).map((r) => r.split(',')[0]))).toEqual(new Set(GRADIENT_METHODS));
    expect(csv.length - 1).toBe(data.timelines.reduce((s: number, t: { t: number[] }) => s + t.t.length, 0));
  });

  it('train: every series of the loss chart and the phase portrait is in a CSV', async () => {
    const dir = await tempDir('train-csv');
    const r = await train({ backend: 'cpu', gradient: 'symplectic-adjoint', iters: 3, seed: 1, out: dir, lr: 0.01, batchSize: 4, batchTime: 5, rtol: 1e-5, atol: 1e-7, evalEvery: 2, quiet: true });
    const rows = (await readFile(join(dir, 'metrics.csv'), 'utf8')).trim().split('\n').map((l) => l.split(','));
    const col = (name: string) => rows[0]!.indexOf(name);
    // Batch loss: iterations 1..3. Whole-trajectory loss: iteration 0 (untrained), every evalEvery and the last.
    expect(rows.slice(1).filter((r) => r[col('loss')] !== '').map((r) => r[0])).toEqual(['1', '2', '3']);
    const traj = rows.slice(1).filter((r) => r[col('trajectory_loss')] !== '');
    expect(traj.map((r) => r[0])).toEqual(['0', '2', '3']);
    expect(Number(traj[0]![col('trajectory_loss')])).toBeCloseTo(r.firstTrajectoryLoss, 4);
    expect(Number(traj.at(-1)![col('trajectory_loss')])).toBeCloseTo(r.finalTrajectoryLoss, 4);
    const t = (await readFile(join(dir, 'trajectory.csv'), 'utf8')).trim().split('\n');
    expect(t[0]).toBe('t,true_y1,true_y2,learned_y1,learned_y2');
    expect(t).toHaveLength(1001);
    expect(t[1]).toMatch(/^0,2,0,/);
    expect(t.slice(1).every((l) => l.split(',').every((v) => Number.isFinite(Number(v))))).toBe(true);
  });
});
