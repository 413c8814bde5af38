/**
 * The ODE benchmark grid: `runBench(options)` measures every (problem, tableau, gradient method, size) point
 * on our backends, checks the memory model, runs the tfjs peer and the float64 reference in the same process,
 * and writes RESULTS-style Markdown, CSV and (with `plots`) charts.
 *
 * Sections of the grid (sizes depend on the mode: 'quick' for the smoke test, 'default', 'gpu'):
 *   N sweep   rk4, fixed steps N, every backend: peak vs N (slopes), time vs N
 *   L sweep   rk4, fixed N, primary backend: peak vs hidden layers (slopes)
 *   dopri5    adaptive, tolerances fixed and the horizon T calibrated (float64, forward only) to ≈ targetSteps
 *             accepted steps: every backend and method, the tfjs peers on the same step sequence, dispatch and
 *             readback counts, and a sweep of the continuous adjoint's tolerances
 *   tableaus  adaptive_heun, bosh3, dopri5, dopri8 (each calibrated to ≈ targetSteps/2), primary backend
 *   spiral    ms per training iteration of the main job's model (with `spiral`; @sympode/cli/spiral)
 *   matmul    'gpu' mode: our matmul kernel's GFLOP/s at the grid's sizes
 *
 * The pieces: grid.ts (sizes per mode), session.ts (devices, journal, one measured point), calibrate.ts,
 * reference.ts, work.ts (dispatches, matmul), peers.ts (tfjs), spiral-bench.ts, slopes.ts, targets.ts,
 * charts.ts, output.ts (CSV, report, figures); types.ts holds what a run takes and returns.
 */
import { mkdir } from 'node:fs/promises';
import type { Device } from '@sympode/tensor';
import type { TableauName } from '@sympode/symplectic';
import { calibrate } from './calibrate.js';
import { drawCharts } from './charts.js';
import { gridFor, type Grid } from './grid.js';
import { writeOutputs } from './output.js';
import { runPeers } from './peers.js';
import type { MlpOdeSpec } from './problems.js';
import { trueGradient } from './reference.js';
import { renderMarkdown } from './render.js';
import { openSession } from './session.js';
import { peakSlopes } from './slopes.js';
import { spiralBench, type SpiralRow } from './spiral-bench.js';
import { relativeError } from './stats.js';
import { evaluateTargets } from './targets.js';
import type { BenchOptions, BenchResult, BenchRow, DispatchRow, MatmulRow } from './types.js';
import { dispatchCounts, matmulRates } from './work.js';

export { ALL_GRADIENTS, gridFor, type BenchMode, type Grid } from './grid.js';
export type * from './types.js';

/** Runs the whole grid of `options.mode` and writes its report; see the module comment for the sections. */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const t0 = performance.now();
  const mode = options.mode ?? 'default';
  const grid: Grid = { ...gridFor(mode), ...options.grid };
  const log = options.log ?? ((m: string) => console.log(m));
  const stamp = () => `[${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s]`;
  const say = (m: string) => log(`${stamp()} ${m}`);
  await mkdir(options.outDir, { recursive: true });
  const s = await openSession(options, mode, grid, say);
  const { devices, primary, ref64, env, journaled, rows, lastGrads } = s;

  // ---- N sweep (rk4) ----
  for (const dev of devices) {
    for (const N of grid.nSweep) {
      await s.point('N-sweep', dev, grid.base, { method: 'rk4', stepSize: 1 / N }, grid.gradients, grid.repeats);
    }
  }
  // ---- L sweep (rk4) ----
  for (const L of grid.lSweep) {
    await s.point('L-sweep', primary, { ...grid.base, L }, { method: 'rk4', stepSize: 1 / grid.lSweepN }, grid.gradients, grid.repeats);
  }

  // ---- dopri5 at ≈ targetSteps ----
  const tol = { rtol: grid.rtol, atol: grid.atol };
  const cal = (spec: MlpOdeSpec, method: TableauName, target: number) =>
    journaled(JSON.stringify(['calibrate', spec, method, tol, target]), () => calibrate(ref64, spec, method, tol, target));
  const dopriT = await cal({ ...grid.base, omega: grid.omega }, 'dopri5', grid.targetSteps);
  const dopriSpec: MlpOdeSpec = { ...grid.base, omega: grid.omega, T: dopriT };
  say(`dopri5 calibrated: T = ${dopriT.toFixed(4)} for ≈ ${grid.targetSteps} steps`);
  const dopriRows = new Map<Device, BenchRow[]>();
  for (const dev of devices) dopriRows.set(dev, await s.point('dopri5', dev, dopriSpec, { method: 'dopri5', ...tol }, grid.gradients, grid.repeats));
  // The ODE's own gradient (float64, dopri8 at rtol 1e-10), for errors against the continuous problem.
  const truth = dopriSpec.B * dopriSpec.W <= grid.referenceLimit ? await journaled(JSON.stringify(['truth', dopriSpec]), () => trueGradient(ref64, dopriSpec)) : null;
  const withTrueError = (rs: BenchRow[], grads: Map<BenchRow, Float64Array>) => {
    if (truth) for (const r of rs) r.trueError = relativeError(grads.get(r)!, truth);
  };
  for (const rs of dopriRows.values()) withTrueError(rs, lastGrads);

  // ---- continuous adjoint tolerance sweep (primary backend) ----
  if (grid.gradients.includes('adjoint')) {
    for (const ar of grid.adjointRtols) {
      const rs = await s.point('adjoint-sweep', primary, dopriSpec, { method: 'dopri5', ...tol }, ['adjoint'], 1, {
        adjointRtol: ar, adjointAtol: ar * (grid.atol / grid.rtol),
      }, false);
      withTrueError(rs, lastGrads);
    }
  }

  // ---- dispatch and readback counts (dopri5 forward) ----
  const dispatch: DispatchRow[] = [];
  for (const dev of devices) {
    const symp = dopriRows.get(dev)?.find((r) => r.gradient === 'symplectic-adjoint');
    if (symp) dispatch.push(await journaled(JSON.stringify(['dispatch', dev.kind, dopriSpec]), () => dispatchCounts(dev, dopriSpec, tol, symp)));
  }

  // ---- tableau sweep (primary backend) ----
  for (const method of grid.tableaus) {
    const spec = { ...grid.base, omega: grid.omega };
    const T = await cal(spec, method, Math.max(2, Math.round(grid.targetSteps / 2)));
    await s.point('tableaus', primary, { ...spec, T }, { method, ...tol }, grid.gradients, 1, {}, false);
  }

  // ---- tfjs peers at the dopri5 point ----
  const peers = await runPeers(s, dopriSpec, tol, dopriRows.get(primary) ?? [], options.tfjs ?? ['webgpu', 'cpu']);

  // ---- spiral training iterations ----
  const spiral: SpiralRow[] = [];
  if (options.spiral) {
    for (const dev of devices) {
      const r = await journaled(JSON.stringify(['spiral', dev.kind, dev.dtype, grid.spiralIters]), () => spiralBench(dev, ref64, grid.gradients, { iters: grid.spiralIters }));
      for (const x of r) say(`spiral ${dev.kind} ${x.gradient}: ${x.msPerIter.toFixed(0)} ms/iter, ${x.steps.toFixed(0)} steps${x.error ? ` (${x.error})` : ''}`);
      spiral.push(...r);
    }
  }

  // ---- matmul GFLOP/s (gpu mode) ----
  const matmul: MatmulRow[] = mode === 'gpu' ? await matmulRates(primary, grid, options.peakGflops) : [];

  // ---- slopes, charts and traces ----
  const slopes = peakSlopes(rows, devices, primary, grid);
  const { files, figures } = options.plots ? await drawCharts(s, options.outDir) : { files: [], figures: [] };

  // ---- targets, files ----
  const targets = evaluateTargets(rows, peers, dispatch, primary.backend.description, grid);
  env.seconds = options.startedAt ? (Date.now() - options.startedAt) / 1000 : (performance.now() - t0) / 1000;
  const result: BenchResult = {
    env, grid, rows, slopes, peers, dispatch, spiral, matmul, targets, functionBytes: s.functionBytes, dopri5: { T: dopriT, spec: dopriSpec },
    markdown: '', files,
  };
  result.markdown = renderMarkdown(result, { figures: options.figuresDir ? figures.filter((f) => f.endsWith('.png')).map((f) => f.split('/').pop()!) : [] });
  const mdPath = await writeOutputs(result, options, figures);
  s.destroy();
  say(`done in ${env.seconds.toFixed(0)} s; wrote ${mdPath}`);
  return result;
}
