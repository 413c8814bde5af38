/**
 * Gradients through a reversible solver at O(1) memory in the number of steps; reversible RK's backward is in
 * reversible-rk.ts, reversible Heun's (reversible-heun.ts) here: the
 * forward keeps only the final (y_N, ŷ_N); backward walks the steps in reverse, reconstructing (y_n, ŷ_n)
 * algebraically from (y_{n+1}, ŷ_{n+1}) and differentiating each step on the way (Kidger et al. 2021). With
 * λ_n, μ̃_n the cotangents of y_n and of ŷ_n (the latter including f's dependence through the step ending at n)
 * and one VJP of f per point, J_n = ∂f/∂y at (t_n, ŷ_n):
 *   λ_N = ∂L/∂y_N,  μ̃_N = J_Nᵀ c_N with c_N = (h_{N−1}/2) λ_N;
 *   λ_n = λ_{n+1} + 2 μ̃_{n+1} (+ ∂L/∂y_n at an output),
 *   c_n = h_n μ̃_{n+1} + (h_n/2) λ_{n+1} + (h_{n−1}/2) λ_n (the last term for n > 0),
 *   μ̃_n = −μ̃_{n+1} + J_nᵀ c_n,   ∂L/∂θ += Σ_n f_θᵀ c_n,   ∂L/∂y_0 = λ_0 + μ̃_0 (ŷ_0 = y_0).
 * This is backprop's gradient of the same discrete solve, evaluated at the reconstructed states: those differ
 * from the forward's by rounding only (each inverse step recomputes ŷ_n = 2y_{n+1} − ŷ_{n+1} − h f_{n+1} and
 * y_n = y_{n+1} − (h/2)(f_n + f_{n+1}) in floating point, so they match to a few ulps per step, growing
 * slowly with N), hence agreement to ~1e-12 relative, not bit for bit.
 */
import { InvalidArgumentError, type Tensor } from '@sympode/tensor';
import { valueAndVjp as evalVjp } from './vjp.js';
import type { GradientAccumulator } from './accumulator.js';
import type { GradientMethod } from './method.js';
import { keepFinal, keptAs } from './keepers.js';
import { reversibleRk } from '../reversible-rk.js';
import { reversibleRkBackward } from './reversible-rk.js';
import { lin, outputCotangents } from './reversible-sweep.js';
import { backwardStep } from '../progress.js';

export const reversible: GradientMethod = {
  name: 'reversible',
  description: 'a reversible solver (reversible_heun, or reversible RK on any tableau) run backward algebraically: exact for its own solve at O(1) memory in N',
  recordsGraph: false,
  keeper: keepFinal,
  secondOrder: false,
  reversible: true,
  async backward(run) {
    const { field, steps, times, acc } = run;
    const fin = keptAs(run.kept, 'final');
    const rk = reversibleRk(run.tableau);
    if (rk) return reversibleRkBackward(run, fin, rk);
    const dev = field.device;
    const N = steps.length;
    const T = times.length;
    const { row: gRow, outAt } = outputCotangents(run);
    let y = fin.y;
    let yhat = fin.aux;
    let lambda = gRow(T - 1);
    let f: Tensor | null = null;
    let mu: Tensor | null = null;
    try {
      if (N === 0) return lin(field, [[1, lambda]]);
      const tN = times[T - 1];
      const cN = lin(field, [[steps[N - 1].h / 2, lambda]]);
      ({ f, v: mu } = await evalVjp(field, tN, yhat, cN, acc));
      cN.dispose();
      for (let n = N - 1; n >= 0; n--) {
        const { t, h } = steps[n];
        backwardStep(run, t + h, -h);
        const yhatN = lin(field, [[2, y], [-1, yhat], [-h, f]]);
        const gk = outAt.has(n) ? gRow(outAt.get(n)!) : null;
        const lamN = lin(field, [[1, lambda], [2, mu], [1, gk]]);
        gk?.dispose();
        const c = lin(field, [[h, mu], [h / 2, lambda], [n > 0 ? steps[n - 1].h / 2 : 0, lamN]]);
        const r = await evalVjp(field, t, yhatN, c, acc);
        c.dispose();
        const muN = lin(field, [[-1, mu], [1, r.v]]);
        const yN = lin(field, [[1, y], [-h / 2, r.f], [-h / 2, f]]);
        // The final (y_N, ŷ_N) are the forward's; every older state is ours.
        for (const x of [y, yhat]) if (x !== fin.y && x !== fin.aux) x.dispose();
        dev.dispose(lambda, mu, f, r.v);
        y = yN;
        yhat = yhatN;
        lambda = lamN;
        mu = muN;
        f = r.f;
      }
      if (run.checkFinite) await acc.checkFinite();
      return lin(field, [[1, lambda], [1, mu]]);
    } finally {
      for (const x of [y, yhat]) if (x !== fin.y && x !== fin.aux) x.dispose();
      dev.dispose(lambda, mu, f);
    }
  },
  memoryModel({ T, tableau }, { S, P, Vf }) {
    // Reversible RK's backward rebuilds a base step's graph (like checkpoint's) instead of one VJP of f: its
    // model is not written yet, and a guessed peak would be a silently wrong number.
    if (reversibleRk(tableau)) {
      throw new InvalidArgumentError(`the memory model of '${tableau.name}' is not written yet (only reversible_heun's is); measure it with device.memory`);
    }
    // Outputs, the final (y, ŷ), and backward at its peak (the VJP at a reconstructed point): y, ŷ, f, λ, μ̃,
    // the new ŷ and λ, and c (8 states), the parameter-gradient sums and one VJP of f. Nothing grows with N.
    const out = T * S;
    const fin = 2 * S;
    const sweep = 8 * S;
    return {
      total: out + fin + sweep + P + Vf,
      terms: { outputs: out, finalState: fin, sweep, gradientSums: P, oneVjp: Vf },
      formula: 'T·S + 2S + 8S + P + Vf',
    };
  },
};
