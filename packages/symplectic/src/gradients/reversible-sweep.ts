/**
 * What the reversible backwards (reversible Heun's in reversible.ts, reversible RK's in reversible-rk.ts)
 * share: graph-free linear combinations of states, and where the outputs sit among the steps.
 */
import { noGrad, type Tensor } from '@sympode/tensor';
import type { Field } from '../field.js';
import type { BackwardRun } from './method.js';

/** Σ c_i x_i without a graph (label 'adjoint'); null terms and zero coefficients skipped. */
export function lin(field: Field, terms: readonly [number, Tensor | null][]): Tensor {
  const dev = field.device;
  return dev.memory.scope('adjoint', () => noGrad(() => dev.tidy(() => {
    let acc: Tensor | null = null;
    for (const [c, x] of terms) {
      if (!x || c === 0) continue;
      const t = c === 1 ? x : x.mul(c);
      acc = acc ? acc.add(t) : t;
    }
    if (!acc) return dev.zeros(field.shape);
    return terms.some(([, x]) => x === acc) ? acc.clone() : acc;
  })));
}

/**
 * ∂L/∂y at output k (`row(k)`, a state-shaped copy), and `outAt`: the output at the start of step n, where
 * times[k] === steps[n].t (outputs 'step'; the last output is the final state).
 */
export function outputCotangents(run: BackwardRun): { row: (k: number) => Tensor; outAt: Map<number, number> } {
  const { field, steps, times, g } = run;
  const dev = field.device;
  const outAt = new Map<number, number>();
  for (let k = 0, n = 0; k < times.length - 1; k++) {
    while (n < steps.length && steps[n].t !== times[k]) n++;
    outAt.set(n, k);
  }
  const row = (k: number) => dev.memory.scope('adjoint', () => noGrad(() => dev.tidy(() => g.narrow(0, k, 1).reshape(field.shape))));
  return { row, outAt };
}
