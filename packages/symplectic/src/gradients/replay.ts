/**
 * Second derivatives through the per-step methods. Under `createGraph` the backward must itself be
 * differentiable in y0 and θ, and so must the checkpoints it starts from: that needs the forward graph of
 * every step. We therefore replay the forward's accepted steps (same t, h, FSAL reuse) with a recorded graph
 * and differentiate it with a graph, which is backprop's computation on the same discrete solve: the
 * gradient equals the method's to rounding, and it is differentiable again. Memory while it runs: backprop's
 * O(N·s·L) plus the gradient's own graph (recording the symplectic sweep itself would need both the forward
 * graph and a larger backward graph).
 */
import { grad, stack, type Tensor } from '@sympode/tensor';
import type { Field } from '../field.js';
import { combineGraph, stepWithGraph } from '../graph-stepper.js';
import { placeOutputs } from './placement.js';
import type { Tableau } from '../tableaus.js';

/** Start time and size of one accepted step: all a replay needs to retake it. */
export interface StepSpan {
  t: number;
  h: number;
}

/**
 * The solution at `times` recomputed with a graph through the given accepted steps, from y0 (with its graph):
 * the states at step ends, and the outputs the forward interpolated inside a step from that step's stages.
 */
export async function replayWithGraph(
  field: Field, tableau: Tableau, y0: Tensor, steps: readonly StepSpan[], times: readonly number[], onEachStep?: (t: number, h: number) => void,
): Promise<Tensor> {
  const dev = field.device;
  const place = placeOutputs(tableau, times, steps.length, (i) => steps[i]);
  const outputs: (Tensor | null)[] = times.map(() => null);
  outputs[0] = y0;
  const owned = new Set<Tensor>();
  let y = y0;
  let k0: Tensor | undefined;
  try {
    for (let i = 0; i < steps.length; i++) {
      const { t, h } = steps[i];
      onEachStep?.(t, h);
      const { y1, ks } = await stepWithGraph(field, tableau, t, y, h, k0);
      owned.add(y1);
      const d = place.dense[i];
      d?.weights.forEach((w, j) => {
        const yo = dev.memory.scope('stages', () => combineGraph(y, ks, w, h));
        owned.add(yo);
        outputs[d.first + j] = yo;
      });
      const nextK0 = tableau.fsal ? ks[ks.length - 1] : undefined;
      for (const kv of ks) if (kv !== nextK0) kv.dispose();
      k0 = nextK0;
      if (y !== y0 && !outputs.includes(y)) {
        y.dispose();
        owned.delete(y);
      }
      y = y1;
      const k = i + 1 < steps.length ? place.atStart[i + 1] : times.length - 1;
      if (k !== null) outputs[k] = y;
    }
    if (outputs.some((o) => o === null)) throw new Error(`internal: replay produced ${outputs.filter((o) => o).length} of ${times.length} outputs`);
    return stack(outputs as Tensor[], 0);
  } finally {
    dev.dispose([...owned], k0 ?? null);
  }
}

/**
 * The backward of a per-step method under `createGraph`: gradients of ys (cotangent g) with respect to the
 * wanted inputs [y0, ...params], recorded so they can be differentiated again.
 */
export async function differentiableBackward(
  field: Field,
  tableau: Tableau,
  y0: Tensor,
  params: readonly Tensor[],
  steps: readonly StepSpan[],
  times: readonly number[],
  g: Tensor,
  needs: readonly boolean[],
): Promise<(Tensor | null)[]> {
  const ys = await replayWithGraph(field, tableau, y0, steps, times);
  try {
    const inputs = [y0, ...params];
    // Every input with a graph is a stop, so nothing flows on into what y0 or a computed parameter came from
    // (the outer backward does that, once, with the gradient returned here).
    const idx = inputs.map((_, i) => i).filter((i) => needs[i] || inputs[i].requiresGrad);
    const gs = await grad(ys, idx.map((i) => inputs[i]), { gradOutput: g, createGraph: true, allowUnused: true, stopAtInputs: true });
    return inputs.map((_, i) => {
      const gi = gs[idx.indexOf(i)];
      if (needs[i]) return gi;
      gi?.dispose();
      return null;
    });
  } finally {
    ys.dispose();
  }
}
