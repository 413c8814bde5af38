/**
 * Exact gradients at any memory budget: peak memory and time of one forward + backward against the number of
 * steps N, for every way this library trades memory for time, on one problem in one run: an MLP ODE
 * (16→32→32→16, tanh, batch 64, t ∈ [0, 1]: a state large next to the network, so the O(N) terms show), fixed steps h = 1/N (rk4; reversible Heun
 * and reversible RK on rk4 for `reversible`, with the error of y(1) of each solver against a float64 reference),
 * cpu float64. Writes the `budget` section of bench/RESULTS.md and bench/figures/budget_memory.{svg,png},
 * budget_time.{svg,png}; the Pareto front of memory vs time is taken at each N.
 *
 *   npm run bench:budget [-- --ns 16,32,64,128,256 --repeats 3]
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDevice } from '@sympode/tensor';
import { getTableau, GRADIENTS, odeint, type FunctionBytes, type GradientMethodName, type OdeintOptions, type OdeintStats } from '@sympode/symplectic';
import { lineChart, writeChart } from '@sympode/plot';
import { writeSection } from './lib/sections.js';
import { buildMlpOde, type MlpOde } from './lib/problems.js';
import { measureFunctionBytes } from './lib/memory-model.js';
import { measureRepeated, type SolveConfig } from './lib/measure.js';
import { arg, args } from './lib/flags.js';

const NS = arg('--ns', '16,32,64,128,256').split(',').map(Number);
const REPEATS = Number(arg('--repeats', '3'));
const DIM = 16;
const BATCH = 64;
const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..');

/** One configuration: a label, the gradient method and its extra options. */
interface Config {
  label: string;
  gradient: GradientMethodName;
  extra: OdeintOptions;
}

const CONFIGS: Config[] = [
  { label: 'backprop', gradient: 'backprop', extra: {} },
  { label: 'checkpoint (ACA)', gradient: 'checkpoint', extra: {} },
  { label: 'symplectic adjoint', gradient: 'symplectic-adjoint', extra: {} },
  ...[16, 8, 4].map((c) => ({ label: `symplectic adjoint, c = ${c}`, gradient: 'symplectic-adjoint' as const, extra: { checkpoints: c } })),
  { label: 'reversible (reversible Heun)', gradient: 'reversible', extra: { method: 'reversible_heun' } },
  ...[0.999, 0.5].map((coupling) => ({ label: `reversible RK (rk4, λ = ${coupling})`, gradient: 'reversible' as const, extra: { method: 'reversible' as const, base: 'rk4' as const, coupling } })),
  { label: 'continuous adjoint', gradient: 'adjoint', extra: {} },
];

interface Point {
  peak: number;
  ms: number;
  /** The method's memory model (bytes above the inputs), from the bench's measured byte sizes of f; NaN where it has none. */
  model: number;
  stats: Partial<OdeintStats>;
}

const SPEC = { D: DIM, W: 32, L: 2, B: BATCH, seed: 7 };

/** Median forward + backward time of REPEATS runs after a warm-up; the peak is deterministic (the last run's). */
async function measure(prob: MlpOde, fb: FunctionBytes, cfg: Config, N: number): Promise<Point> {
  const solve = { method: 'rk4', stepSize: 1 / N, gradient: cfg.gradient, ...cfg.extra } as unknown as SolveConfig;
  const m = await measureRepeated(prob, solve, REPEATS);
  if (m.leakedBytes !== 0) throw new Error(`${cfg.label}, N = ${N}: ${m.leakedBytes} bytes leaked`);
  const shape = { tableau: getTableau('rk4'), N: m.stats.acceptedSteps, T: prob.times.length, checkpoints: cfg.extra.checkpoints };
  // Reversible RK has no memory model yet (it throws rather than guess).
  const model = cfg.extra.method === 'reversible' ? NaN : GRADIENTS[cfg.gradient].memoryModel(shape, fb).total;
  return { peak: m.peakBytes, ms: m.fwdMs + m.bwdMs, model, stats: m.stats };
}

/** Indices of the points no other point beats on both memory and time. */
function paretoFront(points: Point[]): Set<number> {
  const front = new Set<number>();
  points.forEach((p, i) => {
    const dominated = points.some((q, j) => j !== i && q.peak <= p.peak && q.ms <= p.ms && (q.peak < p.peak || q.ms < p.ms));
    if (!dominated) front.add(i);
  });
  return front;
}

const kib = (b: number) => `${(b / 1024).toFixed(0)} KiB`;

/** Max |y(1) − reference| of the forward solve (the reference: dopri5 at rtol 1e-12), no gradient. */
async function solveError(prob: MlpOde, opts: OdeintOptions, ref: Float64Array | null): Promise<Float64Array | number> {
  const dev = prob.device;
  const ys = await dev.noGrad(() => odeint(prob.f, prob.y0, prob.times, { ...opts, params: prob.mlp }));
  const v = Float64Array.from(await ys.data()).slice(prob.y0.size);
  ys.dispose();
  return ref ? v.reduce((m, x, i) => Math.max(m, Math.abs(x - ref[i])), 0) : v;
}

async function main(): Promise<void> {
  const dev = await createDevice({ backend: 'cpu' });
  const prob = buildMlpOde(dev, SPEC);
  const fb = await measureFunctionBytes(prob);
  const res = new Map<string, Point[]>();
  for (const cfg of CONFIGS) {
    const row: Point[] = [];
    for (const N of NS) {
      const p = await measure(prob, fb, cfg, N);
      row.push(p);
      console.log(`${cfg.label.padEnd(32)} N = ${String(N).padStart(4)}: peak ${kib(p.peak).padStart(9)} (model ${Number.isNaN(p.model) ? '—' : kib(p.model)}), ${p.ms.toFixed(0).padStart(6)} ms, recomputed ${p.stats.recomputedSteps ?? 0}`);
    }
    res.set(cfg.label, row);
  }
  const figDir = join(ROOT, 'bench', 'figures');
  const series = (pick: (p: Point) => number) => CONFIGS.map((c) => ({ name: c.label, x: NS, y: res.get(c.label)!.map(pick), dashed: c.extra.checkpoints !== undefined }));
  await writeChart(join(figDir, 'budget_memory'), lineChart({ title: 'Peak memory, forward + backward, vs steps (cpu float64)', xLabel: 'steps N', yLabel: 'peak bytes above inputs', logY: true, series: series((p) => p.peak) }));
  await writeChart(join(figDir, 'budget_time'), lineChart({ title: 'Forward + backward time vs steps (cpu float64)', xLabel: 'steps N', yLabel: 'ms (median)', logY: true, series: series((p) => p.ms) }));

  const header = `| method | ${NS.map((N) => `N = ${N}`).join(' | ')} |\n| --- | ${NS.map(() => '---:').join(' | ')} |`;
  const table = (cell: (p: Point, i: number, k: number) => string) =>
    CONFIGS.map((c, i) => `| ${c.label} | ${res.get(c.label)!.map((p, k) => cell(p, i, k)).join(' | ')} |`).join('\n');
  // The Pareto front among the methods that differentiate the same rk4 solve (the reversible solvers are others).
  const rk4 = CONFIGS.map((c, i) => (c.extra.method ? -1 : i)).filter((i) => i >= 0);
  const fronts = NS.map((_, k) => {
    const f = paretoFront(rk4.map((i) => res.get(CONFIGS[i].label)![k]));
    return new Set([...f].map((j) => rk4[j]));
  });
  const ref = (await solveError(prob, { method: 'dopri5', rtol: 1e-12, atol: 1e-14 }, null)) as Float64Array;
  // What each solver buys with N (a cheap but lower-order solver must show its error).
  const solvers: [string, OdeintOptions][] = [
    ['rk4', { method: 'rk4' }], ['reversible Heun', { method: 'reversible_heun' }],
    ...[0.999, 0.5].map((coupling): [string, OdeintOptions] => [`reversible RK (rk4, λ = ${coupling})`, { method: 'reversible', base: 'rk4', coupling }]),
  ];
  const errs = new Map<string, number[]>();
  for (const [name, opts] of solvers) {
    const row: number[] = [];
    for (const N of NS) row.push((await solveError(prob, { ...opts, stepSize: 1 / N }, ref)) as number);
    errs.set(name, row);
  }
  const md = [
    '## Exact gradients at any memory budget (`npm run bench:budget`)',
    '',
    `MLP ODE ${DIM}→32→32→${DIM} (tanh), batch ${BATCH} (one state: ${(DIM * BATCH * 8) / 1024} KiB), t ∈ [0, 1], fixed steps h = 1/N: rk4 for every method but`,
    '`reversible`, which needs its own solver: reversible Heun (second order, one evaluation of f per step) or reversible RK on rk4',
    '(fourth order, two rk4 steps per step: 8 evaluations), neither the same discrete solve as rk4. ∂L/∂y(1) fixed (the bench\'s MLP ODE); cpu float64 on a shared 2-core machine; time is the median of',
    `${REPEATS} forward+backward runs after a warm-up (the machine is shared: single timings are noisy; the`,
    'recomputed steps below are the exact cost of a budget); peak = bytes above the inputs. **Bold**: on the',
    'Pareto front of (peak, time) at that N among the methods that differentiate the same rk4 solve (no other',
    'is both smaller and faster). All but the continuous adjoint are exact for their discrete solve. The',
    'reversible Heun solve is cheaper per step (one evaluation of f instead of four, no checkpoints) but only',
    'second order: its error at t = 1 (last table) is that of rk4 with far fewer steps.',
    '',
    '![peak memory vs N](figures/budget_memory.svg) ![time vs N](figures/budget_time.svg)',
    '',
    '**Peak memory**',
    '',
    header,
    table((p, i, k) => (fronts[k].has(i) ? `**${kib(p.peak)}**` : kib(p.peak))),
    '',
    `**Memory model / measured peak at N = ${NS[NS.length - 1]}** (each method's \`memoryModel\`, from the byte sizes of f the bench measures: S, P, Ge, Go, Vf, Xb)`,
    '',
    CONFIGS.map((c) => {
      const p = res.get(c.label)![NS.length - 1];
      return Number.isNaN(p.model) ? `- ${c.label}: no memory model yet (measured ${kib(p.peak)})` : `- ${c.label}: ${kib(p.model)} / ${kib(p.peak)} = ${(p.model / p.peak).toFixed(3)}`;
    }).join('\n'),
    '',
    '**Time (forward + backward)**',
    '',
    header,
    table((p, i, k) => (fronts[k].has(i) ? `**${p.ms.toFixed(0)} ms**` : `${p.ms.toFixed(0)} ms`)),
    '',
    '**Error of y(1)** (max |y − reference|, reference dopri5 at rtol 1e-12): what each solver buys with N',
    '',
    header,
    ...[...errs].map(([name, row]) => `| ${name} | ${row.map((e) => e.toExponential(1)).join(' | ')} |`),
    '',
    '**Steps recomputed by the backward** (budgeted symplectic adjoint; revolve)',
    '',
    header,
    CONFIGS.filter((c) => c.extra.checkpoints !== undefined).map((c) => `| ${c.label} | ${res.get(c.label)!.map((p) => String(p.stats.recomputedSteps)).join(' | ')} |`).join('\n'),
  ].join('\n');
  await writeSection(join(ROOT, 'bench', 'RESULTS.md'), 'budget', md);
  console.log(md);
  prob.dispose();
  dev.destroy();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
