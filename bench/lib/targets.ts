/** The targets the report checks (memory vs model and vs backprop, time, peers, work per step), from the rows. */
import type { GradientMethodName } from '@sympode/symplectic';
import type { Grid } from './grid.js';
import type { BenchRow, DispatchRow, PeerRow, Target } from './types.js';

function fmt(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

/** Every target with its measured value and verdict (`met: null` when it cannot be judged). */
export function evaluateTargets(rows: BenchRow[], peers: PeerRow[], dispatch: DispatchRow[], primary: string, grid: Grid): Target[] {
  const t: Target[] = [];
  const d5 = (g: GradientMethodName, backend = primary) => rows.find((r) => r.section === 'dopri5' && r.backend === backend && r.gradient === g);
  const s = d5('symplectic-adjoint'), b = d5('backprop');
  if (s) {
    const dev = Math.abs(s.modelRatio - 1);
    t.push({
      name: 'Symplectic peak vs its model', target: 'within 2%', measured: `measured/predicted = ${s.modelRatio.toFixed(4)} (N = ${s.steps}, dopri5, L = ${s.L})`,
      met: dev <= 0.02, note: dev <= 0.02 ? '' : 'see the model table for the terms',
    });
  }
  if (s && b) {
    const r = b.peakBytes / s.peakBytes;
    t.push({
      name: 'Symplectic vs backprop peak memory', target: '≥ 20× lower (3-layer MLP, N ≈ 100, dopri5)', measured: `${r.toFixed(1)}× lower (N = ${s.steps}, L = ${s.L})`,
      met: r >= 20, note: r >= 20 ? '' : 'backprop keeps N·(s−1) f graphs; the ratio grows with N, W and L',
    });
    const tr = s.totalMs / b.totalMs;
    // The symplectic adjoint does backprop-like work (one graph + VJP per stage) plus two solves without graph:
    // the forward one and the recomputation of the stage states; if the VJPs cost what backprop costs, the
    // ratio is ≈ 1 + 2·(forward without graph)/(backprop forward + backward).
    const floor = 1 + (2 * s.fwdMs) / b.totalMs;
    t.push({
      name: 'Symplectic vs backprop time (fwd + bwd)', target: '≤ 1.3×', measured: `${tr.toFixed(2)}× (${fmt(s.totalMs)} vs ${fmt(b.totalMs)}, N = ${s.steps})`,
      met: tr <= 1.3,
      note: tr <= 1.3 ? '' : `the symplectic adjoint evaluates f ${s.nfeForward + s.nfeBackward} times (${s.nfeForward} in the forward solve and ${s.nfeBackward} in the backward: the stage states recomputed without graph, then one graph + VJP per stage) against backprop's ${b.nfeForward} recorded evaluations and one backward pass. Backprop-like work plus two solves without graph gives ≈ 1 + 2·${fmt(s.fwdMs)}/${fmt(b.totalMs)} = ${floor.toFixed(2)}× as the expected ratio; ≤ 1.3× would need the graph-free forward to cost < 15% of backprop's forward + backward, while here f's dispatch-bound forward costs about as much with or without a graph (${fmt(s.fwdMs)} vs ${fmt(b.fwdMs)})`,
    });
  }
  // Continuous adjoint at equal gradient error. Against the discrete-exact gradient the adjoint can never
  // match (it approximates a different quantity), so "error" here is against the ODE's own gradient: the
  // loosest adjoint tolerance whose error is at most the symplectic adjoint's.
  const sweep = rows.filter((r) => r.section === 'adjoint-sweep' && r.trueError !== undefined).sort((x, y) => (y.adjointRtol ?? 0) - (x.adjointRtol ?? 0));
  if (s && s.trueError !== undefined && sweep.length) {
    const match = sweep.find((r) => r.trueError! <= s.trueError!);
    const best = sweep.reduce((m, r) => (r.trueError! < m.trueError! ? r : m), sweep[0]);
    const disc = sweep.reduce((m, r) => Math.min(m, r.relError), Infinity);
    const discNote = `against the discrete-exact gradient no tolerance comes close (best ${disc.toExponential(2)} vs symplectic ${s.relError.toExponential(2)})`;
    if (match) {
      const r = match.totalMs / s.totalMs;
      t.push({
        name: 'Symplectic vs continuous adjoint at equal gradient error', target: '≥ 2× faster',
        measured: `${r.toFixed(2)}× faster: adjoint at adjointRtol ${match.adjointRtol} (${match.nfeBackward} backward evaluations) reaches error ${match.trueError!.toExponential(2)} ≤ symplectic's ${s.trueError.toExponential(2)} (errors vs the ODE's own gradient; ${discNote})`,
        met: r >= 2, note: r >= 2 ? '' : `at this tolerance the adjoint's backward solve costs ${fmt(match.bwdMs)} against the symplectic backward's ${fmt(s.bwdMs)}`,
      });
    } else {
      const r = best.totalMs / s.totalMs;
      t.push({
        name: 'Symplectic vs continuous adjoint at equal gradient error', target: '≥ 2× faster',
        measured: `no adjoint tolerance reached the symplectic error ${s.trueError.toExponential(2)} (vs the ODE's own gradient); best ${best.trueError!.toExponential(2)} at adjointRtol ${best.adjointRtol}, ${r.toFixed(2)}× the symplectic time; ${discNote}`,
        met: r >= 2 ? true : null,
        note: 'the adjoint\'s error floors at its float32 rounding and the forward solve\'s error',
      });
    }
  }
  const okGpu = peers.find((p) => p.peer.startsWith('tfjs-webgpu') && !p.error);
  const failedGpu = peers.find((p) => p.peer.startsWith('tfjs-webgpu') && p.error);
  const okCpu = peers.find((p) => p.peer.startsWith('tfjs-cpu') && !p.error);
  const peer = okGpu ?? okCpu;
  if (peer) {
    const which = okGpu ? 'tfjs-webgpu' : 'tfjs-cpu (tfjs-webgpu failed)';
    const speed = peer.iterMs / peer.oursSymplecticMs;
    const mem = peer.peakBytes / peer.oursSymplecticPeak;
    const at = `N = ${peer.steps}`;
    const crash = failedGpu ? `; tfjs-webgpu at N = ${failedGpu.steps}: ${failedGpu.error}` : '';
    t.push({
      name: `Ours (symplectic) vs ${which} per iteration`, target: '≥ 2× faster (tfjs-webgpu, same Dawn device)',
      measured: `${speed.toFixed(2)}× faster (${fmt(peer.oursSymplecticMs)} vs ${fmt(peer.iterMs)}, ${at})${crash}`,
      met: speed >= 2, note: speed >= 2 ? '' : 'same device and step sequence; tfjs runs backprop without error control (no readbacks)',
    });
    t.push({
      name: `Ours (symplectic) vs ${which} peak memory`, target: '≥ 10× less at N ≈ 100',
      measured: `${mem.toFixed(1)}× less (${(peer.oursSymplecticPeak / 1024).toFixed(0)} vs ${(peer.peakBytes / 1024).toFixed(0)} KiB, ${at})${crash}`,
      met: mem >= 10, note: mem >= 10 ? '' : 'tfjs keeps the tape of every step',
    });
  } else if (failedGpu) {
    t.push({ name: 'Ours vs tfjs-webgpu', target: '≥ 2× faster, ≥ 10× less peak memory', measured: `tfjs failed: ${failedGpu.error}`, met: null, note: '' });
  }
  const dd = dispatch.find((d) => d.backend === primary) ?? dispatch[0];
  if (dd) {
    const okR = dd.marginalReadbacksPerStep <= 1 + 1e-9;
    const okD = dd.marginalDispatchesPerStage <= 3 + 1e-9;
    t.push({
      name: 'dopri5 step: readbacks', target: '≤ 1 per step', measured: `${dd.marginalReadbacksPerStep.toFixed(2)} per step (marginal); ${dd.amortizedReadbacksPerStep.toFixed(3)} with the solve's setup amortised`,
      met: okR, note: okR ? '' : 'more than the error ratio is read back',
    });
    t.push({
      name: 'dopri5 step: dispatches beyond f', target: '≤ 3 per stage', measured: `${dd.marginalDispatchesPerStage.toFixed(2)} per stage (marginal; f itself: ${dd.fDispatches}); ${dd.amortizedDispatchesPerStage.toFixed(2)} amortised`,
      met: okD, note: okD ? '' : 'stage combination, the copy of k into the stage buffer, the error ratio',
    });
  }
  void grid;
  return t;
}
