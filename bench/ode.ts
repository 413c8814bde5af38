/**
 * The ODE benchmark runner: memory, time and gradient error of every gradient method over a grid of MLP ODEs,
 * the memory model check, the tfjs peer and the float64 reference side by side, the spiral model's ms per
 * iteration. Writes bench/RESULTS.md, bench/out/*.csv|svg|png|json and copies the key charts to bench/figures.
 *
 *   npm run bench                     default grid, webgpu (lavapipe here) + cpu, tfjs-webgpu + tfjs-cpu
 *   npm run bench:quick               the smallest grid (seconds); writes bench/out/quick/RESULTS.md
 *   npm run bench:gpu [-- --peak-gflops 50000]   larger sizes for a real GPU (ours and tfjs on webgpu only, no
 *                                     float64 reference at these sizes); writes bench/RESULTS-gpu.md
 *
 * The measuring runs in a child process that journals every finished measurement (bench/out/.journal.json):
 * if it dies natively (Dawn on lavapipe segfaults now and then after minutes of work) it is restarted and
 * resumes; the report says so.
 *
 * Flags: --quick | --gpu, --backend webgpu,cpu (ours), --tfjs webgpu,cpu | none, --repeats n, --no-spiral,
 * --no-plots, --peak-gflops x, --out DIR, --results FILE, --figures DIR | none.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackendName } from '@sympode/tensor';
import { runBench, type BenchMode, type Grid } from './lib/run.js';
import type { TfjsBackend } from './lib/tfjs-peer.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const value = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const list = (name: string, fallback: string[]): string[] => {
  const v = value(name);
  if (v === undefined) return fallback;
  if (v === 'none') return [];
  return v.split(',').map((s) => s.trim()).filter(Boolean);
};

// bench/dist/ode.js → the repository root is two levels up (this file is compiled into bench/dist).
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const mode: BenchMode = flag('gpu') ? 'gpu' : flag('quick') ? 'quick' : 'default';
const outDir = resolve(value('out') ?? join(root, 'bench', 'out', mode === 'default' ? '' : mode));
const resultsPath = resolve(value('results') ?? (mode === 'default' ? join(root, 'bench', 'RESULTS.md') : mode === 'gpu' ? join(root, 'bench', 'RESULTS-gpu.md') : join(outDir, 'RESULTS.md')));
const figuresArg = value('figures');
const figuresDir = figuresArg === 'none' ? null : resolve(figuresArg ?? (mode === 'quick' ? join(outDir, 'figures') : join(root, 'bench', 'figures')));

// The measuring runs in a child process with a journal of finished steps: if Dawn crashes natively (it does
// now and then on lavapipe after minutes of work), the child is restarted and resumes from the journal.
const journal = join(outDir, '.journal.json');
if (!flag('child')) {
  rmSync(journal, { force: true });
  const restarts: string[] = [];
  const started = performance.now();
  for (let attempt = 0; ; attempt++) {
    const env = { ...process.env, SYMPODE_BENCH_RESTARTS: JSON.stringify(restarts), SYMPODE_BENCH_STARTED: String(Date.now() - (performance.now() - started)) };
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...args, '--child'], { stdio: 'inherit', env });
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('exit', (c, sg) => res({ code: c, signal: sg })));
    if (code === 0) break;
    const when = `${((performance.now() - started) / 1000).toFixed(0)} s`;
    if (!signal || attempt >= 4) {
      console.error(`bench: the measuring process failed (${signal ?? `exit code ${code}`}) at ${when}; giving up`);
      process.exit(code ?? 1);
    }
    restarts.push(`${signal} at ${when}`);
    console.error(`bench: the measuring process died (${signal}) at ${when}; restarting it, resuming from the journal`);
  }
  rmSync(journal, { force: true });
  process.exit(0);
}
const restarts = JSON.parse(process.env.SYMPODE_BENCH_RESTARTS ?? '[]') as string[];

const grid: Partial<Grid> = {};
if (value('repeats')) grid.repeats = Number(value('repeats'));
const peak = value('peak-gflops');

const result = await runBench({
  mode,
  // The gpu grid is far too big for the float64 cpu backend and tfjs-cpu: webgpu only unless asked.
  backends: list('backend', mode === 'gpu' ? ['webgpu'] : ['webgpu', 'cpu']) as BackendName[],
  tfjs: list('tfjs', mode === 'gpu' ? ['webgpu'] : ['webgpu', 'cpu']) as TfjsBackend[],
  startedAt: process.env.SYMPODE_BENCH_STARTED ? Number(process.env.SYMPODE_BENCH_STARTED) : undefined,
  outDir,
  resultsPath,
  figuresDir,
  plots: !flag('no-plots'),
  spiral: !flag('no-spiral'),
  peakGflops: peak ? Number(peak) : undefined,
  grid,
  command: `node bench/dist/ode.js ${args.filter((a) => a !== '--child').join(' ')}`.trim(),
  journal,
  notes: restarts.length
    ? [`The measuring process died ${restarts.length} time(s) (${restarts.join('; ')}) (a native crash, not a JavaScript error; on lavapipe it happens inside Dawn after minutes of GPU work) and was restarted; every measurement finished before a crash was kept from the journal, the one in progress was redone.`]
    : [],
});
console.log('\nTargets:');
for (const t of result.targets) console.log(`  ${t.met === true ? 'met   ' : t.met === false ? 'MISSED' : 'n/a   '} ${t.name}: ${t.measured}${t.note ? ` — ${t.note}` : ''}`);
console.log(`\nwrote ${result.files.length} files; report: ${resultsPath}`);
// Dawn (ours and tfjs's) can keep the event loop alive.
process.exit(0);
