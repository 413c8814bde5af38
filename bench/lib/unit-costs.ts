/**
 * What the function-evaluation counts predict. Each gradient method's time is, to first order, its counts
 * times three unit costs of f measured on the same device and problem, outside any solve:
 *   eval   — f evaluated without a graph (the graph-free forward, the symplectic adjoint's recomputation);
 *   record — f evaluated with a graph on a fresh leaf (backprop's forward, a VJP's first half);
 *   vjp    — one backward through such a recorded evaluation (to the state and every parameter).
 * The difference between a measured time and this prediction is the solver's own work (stage combinations,
 * error norms, readbacks, graph bookkeeping): "overhead beyond the counts".
 */
import { enableGrad, grad, noGrad, type Device, type Tensor } from '@sympode/tensor';
import { getTableau, skippedStages, type GradientMethodName, type OdeintStats, type TableauName } from '@sympode/symplectic';

/** Milliseconds per evaluation of f: without graph, recorded, and one backward through a recorded one. */
export interface UnitCosts {
  evalMs: number;
  recordMs: number;
  vjpMs: number;
}

/**
 * Times `reps` back-to-back evaluations per kind (then one sync, so a GPU pipelines them as a solve does),
 * `rounds` times interleaved, and keeps the fastest round per kind: on a shared machine a slow round is
 * another job's, not f's. `params` are what the VJP differentiates besides y.
 */
export async function measureUnitCosts(
  dev: Device, f: (t: number, y: Tensor) => Tensor | Promise<Tensor>, y: Tensor, params: readonly Tensor[], reps = 20, rounds = 5,
): Promise<UnitCosts> {
  const c = dev.tidy(() => y.mul(0).add(1));
  const timed = async (body: () => Promise<void>): Promise<number> => {
    await dev.sync();
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) await body();
    await dev.sync();
    return (performance.now() - t0) / reps;
  };
  const evalOnce = async () => {
    const out = await noGrad(() => f(0, y));
    out.dispose();
  };
  const record = async (backward: boolean) => {
    const leaf = y.detach();
    leaf.requiresGrad = true;
    const out = await enableGrad(() => f(0, leaf));
    if (backward) dev.dispose(await grad(out, [leaf, ...params], { gradOutput: c, allowUnused: true }));
    out.dispose();
    leaf.dispose();
  };
  const ev: number[] = [], rec: number[] = [], both: number[] = [];
  await timed(evalOnce);
  await timed(() => record(true)); // warm-up: pipelines, pool
  for (let r = 0; r < rounds; r++) {
    ev.push(await timed(evalOnce));
    rec.push(await timed(() => record(false)));
    both.push(await timed(() => record(true)));
  }
  c.dispose();
  const recordMs = Math.min(...rec);
  return { evalMs: Math.min(...ev), recordMs, vjpMs: Math.max(0, Math.min(...both) - recordMs) };
}

/**
 * The time a method's counts predict for one forward + backward (ms). VJP-bearing evaluations of the per-step
 * methods: the symplectic adjoint's one per needed stage per step (its other backward evaluations recompute
 * stage states without a graph), checkpoint's and recompute's every backward evaluation, the continuous
 * adjoint's every augmented evaluation; backprop records its forward and backpropagates through it.
 */
export function predictedMs(gradient: GradientMethodName, stats: Partial<OdeintStats>, u: UnitCosts, tableau: TableauName): number {
  const F = stats.nfeForward ?? 0, B = stats.nfeBackward ?? 0, N = stats.acceptedSteps ?? 0;
  switch (gradient) {
    case 'backprop':
      return F * (u.recordMs + u.vjpMs);
    case 'symplectic-adjoint': {
      const vjps = Math.min(B, N * skippedStages(getTableau(tableau)).filter((s) => !s).length);
      return (F + B - vjps) * u.evalMs + vjps * (u.recordMs + u.vjpMs);
    }
    default:
      return F * u.evalMs + B * (u.recordMs + u.vjpMs);
  }
}

/** How far a measured time lies beyond its prediction, as "+12 %" / "−4 %". */
export function beyondCounts(measuredMs: number, predictedMs: number): string {
  const x = measuredMs / predictedMs - 1;
  return `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(0)} %`;
}
