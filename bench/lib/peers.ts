/**
 * The tfjs peers at the dopri5 point: TensorFlow.js (webgpu on the same Dawn device, cpu) runs backprop over
 * exactly our symplectic row's step sequence, in a child process each; a full-length run that fails is
 * retried on the first half of the interval with ours re-measured there.
 */
import type { Device } from '@sympode/tensor';
import { getTableau } from '@sympode/symplectic';
import { measureRepeated } from './measure.js';
import { buildMlpOde, rotationMatrix, type MlpOdeSpec } from './problems.js';
import { stepsReference } from './reference.js';
import type { Session } from './session.js';
import { relativeError } from './stats.js';
import { runTfjsIsolated, type TfjsBackend, type TfjsProblem } from './tfjs-peer.js';
import type { BenchRow, PeerRow } from './types.js';

/** Runs each tfjs peer against our primary backend's dopri5 rows (`pRows`) at `dopriSpec`. */
export async function runPeers(session: Session, dopriSpec: MlpOdeSpec, tol: { rtol: number; atol: number }, pRows: BenchRow[], tfjsList: readonly TfjsBackend[]): Promise<PeerRow[]> {
  const { primary, ref64, grid, env, notes, journaled, say } = session;
  const peers: PeerRow[] = [];
  const oursS = pRows.find((r) => r.gradient === 'symplectic-adjoint');
  const oursB = pRows.find((r) => r.gradient === 'backprop');
  if (oursS?.stepSizes && tfjsList.length) {
    const full = { steps: oursS.stepSizes, spec: dopriSpec, S: oursS, B: oursB };
    let half: typeof full | null = null;
    for (const tb of tfjsList) {
      const attempt = async (c: typeof full, note?: string): Promise<boolean> => {
        const base = {
          steps: c.steps.length, note, oursSymplecticMs: c.S.totalMs, oursSymplecticPeak: c.S.peakBytes,
          oursBackpropMs: c.B?.totalMs ?? NaN, oursBackpropPeak: c.B?.peakBytes ?? NaN,
        };
        try {
          const got = await journaled(JSON.stringify(['tfjs', tb, c.spec, c.steps.length]), async () => {
            try {
              const prob = await tfjsProblem(primary, c.spec, c.steps);
              return { m: await runTfjsIsolated(tb, prob, grid.repeats), error: null };
            } catch (e) {
              return { m: null, error: e instanceof Error ? e.message : String(e) };
            }
          });
          if (!got.m) throw new Error(got.error ?? 'tfjs failed');
          const m = got.m;
          const ref = await stepsReference(ref64, c.spec, 'dopri5', c.steps);
          if (!env.tfjs.includes(m.backend)) env.tfjs.push(m.backend);
          peers.push({ peer: m.backend, iterMs: m.iterMs, fwdMs: m.fwdMs, peakBytes: m.peakBytes, relError: relativeError(m.grads, ref), leakedTensors: m.leakedTensors, ...base });
          say(`tfjs ${tb} (N = ${c.steps.length}): ${m.iterMs.toFixed(0)} ms/iter, peak ${m.peakBytes}, err ${relativeError(m.grads, ref).toExponential(2)}`);
          return true;
        } catch (e) {
          const msg = e instanceof Error ? e.message : String(e);
          peers.push({ peer: `tfjs-${tb}`, iterMs: NaN, fwdMs: NaN, peakBytes: NaN, relError: NaN, leakedTensors: 0, error: msg, ...base });
          notes.push(`tfjs-${tb} at N = ${c.steps.length} steps failed: ${msg}`);
          say(`tfjs ${tb} (N = ${c.steps.length}) failed: ${msg}`);
          return false;
        }
      };
      if (await attempt(full)) continue;
      // A failed full-length run (tfjs-webgpu on lavapipe crashes beyond ~130 MB of tape): compare on the first
      // half of the interval instead, ours re-measured there.
      if (!half) {
        const Th = oursS.stepSizes.slice(0, Math.ceil(oursS.stepSizes.length / 2)).reduce((x, y) => x + y, 0);
        const spec = { ...dopriSpec, T: Th };
        half = await journaled(JSON.stringify(['half', spec]), async () => {
          const p = buildMlpOde(primary, spec);
          try {
            const mS = await measureRepeated(p, { method: 'dopri5', ...tol, gradient: 'symplectic-adjoint' }, grid.repeats, false);
            const mB = await measureRepeated(p, { method: 'dopri5', ...tol, gradient: 'backprop' }, grid.repeats, false);
            const ends = [0, ...mS.stats.stepEndTimes];
            const row = (m: typeof mS) => ({ totalMs: m.fwdMs + m.bwdMs, peakBytes: m.peakBytes }) as BenchRow;
            return { steps: ends.slice(1).map((e, i) => e - ends[i]), spec, S: row(mS), B: row(mB) };
          } finally {
            p.dispose();
          }
        });
      }
      await attempt(half, `the full-length run (N = ${full.steps.length}) failed; compared on [0, ${half.spec.T!.toFixed(3)}] (the first ${half.steps.length} steps), ours re-measured there`);
    }
  }
  return peers;
}

/** The problem's parameters, y0 and w on the host, for the tfjs peer (from the float64-identical seeds). */
export async function tfjsProblem(dev: Device, spec: MlpOdeSpec, steps: number[]): Promise<TfjsProblem> {
  const p = buildMlpOde(dev, spec);
  try {
    const sd = await p.mlp.stateDict();
    const layers = p.mlp.layers.map((_, i) => ({ weight: sd[`layers.${i}.weight`], bias: sd[`layers.${i}.bias`] }));
    const g = Array.from(await p.gradOutput.data());
    const tab = getTableau('dopri5');
    return {
      layers, y0: { shape: [...p.y0.shape], data: Array.from(await p.y0.data()) }, w: g.slice(p.y0.size),
      rotation: p.spec.omega ? rotationMatrix(p.spec.D, p.spec.omega) : undefined,
      a: tab.a, b: tab.b, fsal: tab.fsal, steps,
    };
  } finally {
    p.dispose();
  }
}
