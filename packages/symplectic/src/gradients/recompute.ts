/**
 * The paper's "baseline" (Matsubara et al. 2021, Table 1; the authors' `odeint_onecheckpoint`): the forward
 * keeps only y0; backward retakes the whole solve with a recorded graph (the forward's accepted steps, same
 * t and h, so the step sequence cannot differ) and backprops through it. Exact like backprop; between solves
 * it holds one state, but while backward runs it needs backprop's whole graph, O(N·s·L).
 */
import { grad, type Tensor } from '@sympode/tensor';
import type { GradientMethod } from './method.js';
import { evalsPerStep, keptPerEval, pendingStageGrads } from './memory-model.js';
import { replayWithGraph } from './replay.js';
import { backwardStep } from '../progress.js';
import { keepInitial, keptAs } from './keepers.js';

export const recompute: GradientMethod = {
  name: 'recompute',
  description: 'the paper’s baseline: keep only y0, retake the whole solve with a graph in backward; exact, O(N·s·L) while backward runs',
  recordsGraph: false,
  keeper: keepInitial,
  // Its backward is already a recorded solve: a second derivative replays it with a graph (replay.ts).
  secondOrder: true,
  async backward(run) {
    const { field, acc } = run;
    const dev = field.device;
    const leaf = keptAs(run.kept, 'initial').y0.detach();
    leaf.requiresGrad = true;
    let ys: Tensor | null = null;
    try {
      ys = await acc.traced(leaf, () => replayWithGraph(field, run.tableau, leaf, run.steps, run.times, (t, h) => backwardStep(run, t, h, "the backward's replay")));
      const [gy0, ...gp] = await dev.memory.scope('adjoint', () => grad(ys!, [leaf, ...acc.params], { gradOutput: run.g, allowUnused: true, stopAtInputs: true }));
      acc.add(gp);
      if (run.checkFinite) await acc.checkFinite();
      return gy0;
    } finally {
      dev.dispose(ys, leaf);
    }
  },
  memoryModel({ tableau, N, T }, fb) {
    // Backprop's graph (backprop.ts), rebuilt in backward while the forward's outputs are still held: T·S
    // twice (the caller's ys and the replay's).
    const graphs = N * evalsPerStep(tableau) * keptPerEval(fb);
    const out = 2 * T * fb.S;
    // The backward's peak: a step's stage-derivative gradients pending at once, beyond the one Xb's probe holds.
    const pending = (pendingStageGrads(tableau) - 1) * fb.S;
    return {
      total: graphs + out + pending + fb.Xb,
      terms: { fGraphs: graphs, outputs: out, stageGradients: pending, backward: fb.Xb },
      formula: `N·${evalsPerStep(tableau)}·(Ge − Go) + 2T·S + ${pendingStageGrads(tableau) - 1}·S + Xb`,
    };
  },
};
