/**
 * Backprop through the solver: the forward records every stage's graph (step sizes held constant) and the
 * tensor library differentiates it. Exact; memory O(N·s·L). Parameters f reads are recorded wherever they
 * come from, so it needs no parameter list.
 */
import { InvalidArgumentError } from '@sympode/tensor';
import type { GradientMethod } from './method.js';
import { evalsPerStep, keptPerEval, pendingStageGrads } from './memory-model.js';

export const backprop: GradientMethod = {
  name: 'backprop',
  description: 'the recorded graph of every stage, differentiated by the tensor library: exact at O(N·s·L) memory',
  recordsGraph: true,
  secondOrder: true,
  backward() {
    throw new InvalidArgumentError('internal: backprop has no custom backward (its forward records the graph)');
  },
  memoryModel({ tableau, N, T }, fb) {
    // FSAL: f(y0) once, then s−1 per step; the last step's final evaluation feeds nothing and is freed. Each
    // evaluation keeps its graph but not its output (the stage combinations that read it save nothing).
    const graphs = N * evalsPerStep(tableau) * keptPerEval(fb);
    const out = T * fb.S;
    // The backward's peak: a step's stage-derivative gradients pending at once, beyond the one Xb's probe holds.
    const pending = (pendingStageGrads(tableau) - 1) * fb.S;
    return {
      total: graphs + out + pending + fb.Xb,
      terms: { fGraphs: graphs, outputs: out, stageGradients: pending, backward: fb.Xb },
      formula: `N·${evalsPerStep(tableau)}·(Ge − Go) + T·S + ${pendingStageGrads(tableau) - 1}·S + Xb`,
    };
  },
};
