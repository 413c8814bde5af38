/**
 * The backward of a reversible RK solve (reversible-rk.ts): from the final (y_N, z_N), per step in reverse,
 * reconstruct (y_n, z_n) by the inverse step and backpropagate through the step's two base steps, one base
 * step's graph at a time (rebuilt on the reconstructed state, as checkpoint.ts rebuilds a step). With a_y, a_z
 * the cotangents of y_{n+1}, z_{n+1} and R_h(t, x) = x + Ψ_h(t, x) the base step:
 *   ā = a_y − J_{Ψ−h}(t_{n+1}, y_{n+1})ᵀ a_z           (z_{n+1} = z_n + y_{n+1} − R_{−h}(t_{n+1}, y_{n+1}))
 *   a_y ← λ ā (+ ∂L/∂y_n at an output),   a_z ← a_z − λ ā + J_{R_h}(t_n, z_n)ᵀ ā   (y_{n+1} = λ(y_n − z_n) + R_h(t_n, z_n))
 * with the parameter gradients of both VJPs added on the way, and ∂L/∂y_0 = a_y + a_z (y_0 = z_0). This is
 * backprop's gradient of the same discrete solve evaluated at the reconstructed states, which differ from the
 * forward's by rounding only: agreement to ~1e-12 relative, not bit for bit.
 */
import { noGrad, type Tensor } from '@sympode/tensor';
import { NoGraphStepper } from '../no-graph-stepper.js';
import { baseStep, type ReversibleRkSpec } from '../reversible-rk.js';
import { stepBackward } from './checkpoint.js';
import type { BackwardRun } from './method.js';
import { lin, outputCotangents } from './reversible-sweep.js';
import { backwardStep } from '../progress.js';

/** ∂L/∂y0 of a reversible RK solve; parameter gradients go into `run.acc`. */
export async function reversibleRkBackward(run: BackwardRun, fin: { y: Tensor; aux: Tensor }, spec: ReversibleRkSpec): Promise<Tensor> {
  const { field, steps, times, acc } = run;
  const { base, coupling: lam } = spec;
  const dev = field.device;
  const N = steps.length;
  const T = times.length;
  const { row: gRow, outAt } = outputCotangents(run);
  const plain = new NoGraphStepper(field, base);
  const own = (x: Tensor | null) => x !== null && x !== fin.y && x !== fin.aux;
  let y: Tensor = fin.y;
  let z: Tensor = fin.aux;
  let ay: Tensor | null = gRow(T - 1);
  let az: Tensor | null = lin(field, []);
  try {
    for (let n = N - 1; n >= 0; n--) {
      const { t, h } = steps[n];
      backwardStep(run, t + h, -h);
      // The inverse step (y, z are y_{n+1}, z_{n+1}): z_n = z_{n+1} − y_{n+1} + R_{−h}(t_{n+1}, y_{n+1}),
      // y_n = (y_{n+1} + λ z_n − R_h(t_n, z_n)) / λ.
      const ry = await noGrad(() => baseStep(plain, t + h, y, -h));
      const zn = lin(field, [[1, z], [-1, y], [1, ry]]);
      ry.dispose();
      const rz = await noGrad(() => baseStep(plain, t, zn, h));
      const yn = lin(field, [[1 / lam, y], [1, zn], [-1 / lam, rz]]);
      rz.dispose();
      // ā = a_y + a_z + VJP of R_{−h} at y_{n+1} with −a_z (= a_y − J_Ψᵀ a_z).
      const r1 = await stepBackward(field, base, { t: t + h, h: -h, y }, lin(field, [[-1, az]]), acc, null);
      const abar = lin(field, [[1, ay], [1, az], [1, r1]]);
      r1.dispose();
      const r2 = await stepBackward(field, base, { t, h, y: zn }, lin(field, [[1, abar]]), acc, null);
      const azn = lin(field, [[1, az], [-lam, abar], [1, r2]]);
      r2.dispose();
      const gk = outAt.has(n) ? gRow(outAt.get(n)!) : null;
      const ayn = lin(field, [[lam, abar], [1, gk]]);
      dev.dispose(abar, gk, ay, az);
      ay = ayn;
      az = azn;
      for (const x of [y, z]) if (own(x)) x.dispose();
      y = yn;
      z = zn;
    }
    if (run.checkFinite) await acc.checkFinite();
    return lin(field, [[1, ay], [1, az]]);
  } finally {
    for (const x of [y, z]) if (own(x)) x.dispose();
    dev.dispose(ay, az);
    plain.dispose();
  }
}
