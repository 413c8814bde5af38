/**
 * The float64 reference gradient of a given discrete solve: backprop (our tensor library's tape, cpu float64)
 * through an explicit RK written out step by step over a given list of step sizes, with the same arithmetic
 * as the solver (stage combinations y + Σ (h·a_ij)·k_j; FSAL tableaus reuse the last stage's f and take
 * y_{n+1} = the last stage state). For an adaptive solve this is "backprop through the same discrete solve"
 * even when float32 and float64 controllers would choose different steps.
 */
import { grad, type Device, type Tensor } from '@sympode/tensor';
import { getTableau } from '@sympode/symplectic';
import { measureSolve } from './measure.js';
import { buildMlpOde, type MlpOdeSpec } from './problems.js';

/** ∂L/∂(y0, θ) flattened, for the problem `spec` solved with `method` over exactly `steps` (from t = 0). */
export async function stepsReference(dev: Device, spec: MlpOdeSpec, method: string, steps: readonly number[]): Promise<Float64Array> {
  const p = buildMlpOde(dev, spec);
  const tab = getTableau(method);
  const s = tab.b.length;
  try {
    return await dev.tidy(async () => {
      let y: Tensor = p.y0;
      let k0: Tensor | null = null;
      let t = 0;
      for (const h of steps) {
        const ks: Tensor[] = [];
        let yNext: Tensor | null = null;
        for (let i = 0; i < s; i++) {
          let Yi = y;
          for (let j = 0; j < i; j++) if (tab.a[i][j]) Yi = Yi.add(ks[j].mul(h * tab.a[i][j]));
          ks.push(i === 0 && k0 ? k0 : p.f(t + tab.c[i] * h, Yi));
          if (tab.fsal && i === s - 1) yNext = Yi;
        }
        if (!yNext) {
          yNext = y;
          for (let j = 0; j < s; j++) if (tab.b[j]) yNext = yNext.add(ks[j].mul(h * tab.b[j]));
        }
        y = yNext;
        k0 = tab.fsal ? ks[s - 1] : null;
        t += h;
      }
      const w = p.gradOutput.narrow(0, 1, 1).reshape(p.y0.shape);
      const gs = await grad(y.mul(w).sum(), p.inputs);
      const host = await Promise.all(gs.map((g) => g.data()));
      const out = new Float64Array(host.reduce((n, x) => n + x.length, 0));
      let off = 0;
      for (const x of host) {
        out.set(x, off);
        off += x.length;
      }
      return out;
    });
  } finally {
    p.dispose();
  }
}
/** The ODE's own gradient: float64 symplectic adjoint through dopri8 at rtol 1e-10, atol 1e-12. */
export async function trueGradient(dev: Device, spec: MlpOdeSpec): Promise<Float64Array> {
  const p = buildMlpOde(dev, spec);
  try {
    return (await measureSolve(p, { method: 'dopri8', rtol: 1e-10, atol: 1e-12, gradient: 'symplectic-adjoint' })).grads;
  } finally {
    p.dispose();
  }
}
