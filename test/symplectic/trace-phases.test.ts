/**
 * odeint marks its structure in a trace: the forward solve and its steps, the backward sweep, each backward
 * step, the recomputed stages and each stage's VJP, with allocations attributed to the innermost phase.
 */
import { expect, it } from 'vitest';
import { createDevice, nn, type Tensor } from '@sympode/tensor';
import { odeint } from '@sympode/symplectic';

it('a traced symplectic-adjoint solve shows forward steps, backward steps, recomputation and VJPs', async () => {
  const dev = await createDevice({ backend: 'cpu' });
  const mlp = new nn.MLP(dev, [2, 8, 2], 'tanh', { seed: 1 });
  const y0 = dev.tensor([[1, 0], [0, 1]]);
  const trace = dev.memory.startTrace();
  await dev.tidy(async () => {
    const ys = await odeint((_t: number, y: Tensor) => mlp.forward(y), y0, [0, 0.5], { method: 'rk4', stepSize: 0.25, params: mlp });
    await ys.square().sum().backward();
  });
  dev.memory.stopTrace();
  const begins = trace.events.filter((e) => e.kind === 'begin').map((e) => e.label);
  expect(begins.slice(0, 3)).toEqual(['forward solve', 'step 0', 'step 1']);
  expect(begins).toContain('backward sweep (symplectic-adjoint)');
  expect(begins.filter((b) => b.startsWith('backward step '))).toEqual(['backward step 1', 'backward step 0']);
  expect(begins.filter((b) => b === 'recompute stages')).toHaveLength(2);
  // rk4: four stages, each with its VJP, in each of the two steps.
  expect(begins.filter((b) => b.startsWith('vjp stage '))).toHaveLength(8);
  const ends = trace.events.filter((e) => e.kind === 'end');
  expect(ends).toHaveLength(begins.length);
  const vjpAllocs = trace.events.filter((e) => e.kind === 'alloc' && e.phase.startsWith('vjp stage'));
  expect(vjpAllocs.length).toBeGreaterThan(0);
  expect(vjpAllocs.some((e) => e.op === 'matmul')).toBe(true);
  dev.dispose(y0);
  mlp.dispose?.();
  dev.destroy();
});
