/**
 * One vector–Jacobian product of f, the building block of every per-step backward: f is evaluated with a
 * graph on a fresh leaf (label 'network'), differentiated once with cotangent c, and the graph freed before
 * returning, so at most one graph of f is alive at a time.
 */
import { grad, type Tensor } from '@sympode/tensor';
import type { Field } from '../field.js';
import type { GradientAccumulator } from './accumulator.js';

/** f(t, y) (label 'adjoint', no graph) and f_yᵀc from one recorded evaluation; f_θᵀc goes into `acc`. */
export async function valueAndVjp(field: Field, t: number, y: Tensor, c: Tensor, acc: GradientAccumulator): Promise<{ f: Tensor; v: Tensor }> {
  return evalAndVjp(field, t, y, c, acc, true) as Promise<{ f: Tensor; v: Tensor }>;
}

/**
 * One vector–Jacobian product of f at (t, y) with cotangent κ: returns f_yᵀκ, adds f_θᵀκ into `acc`.
 * f's graph is built on a fresh leaf (label 'network') and freed before returning.
 */
export async function vjp(field: Field, t: number, y: Tensor, kappa: Tensor, acc: GradientAccumulator): Promise<Tensor> {
  return (await evalAndVjp(field, t, y, kappa, acc, false)).v;
}

async function evalAndVjp(
  field: Field, t: number, y: Tensor, c: Tensor, acc: GradientAccumulator, keepValue: boolean,
): Promise<{ f: Tensor | null; v: Tensor }> {
  const dev = field.device;
  const leaf = y.detach();
  leaf.requiresGrad = true;
  try {
    const out = await acc.traced(leaf, () => field.eval(t, leaf));
    try {
      const [v, ...gp] = await dev.memory.scope('network', () => grad(out, [leaf, ...acc.params], { gradOutput: c, allowUnused: true, stopAtInputs: true }));
      acc.add(gp);
      if (!keepValue) return { f: null, v };
      // f's value without its graph (shares the storage; `out` and its graph go below).
      const f = out.detach();
      dev.memory.relabel(f, 'adjoint');
      return { f, v };
    } finally {
      out.dispose();
    }
  } finally {
    leaf.dispose();
  }
}
