/**
 * Keepers (gradients/keepers.ts): a graph-free forward keeps what its method's keeper takes and the
 * backward reads exactly that (`run.kept`); a method without a keeper is refused by name; backprop's solve
 * under noGrad keeps nothing and leaves nothing.
 */
import { describe, it, expect } from 'vitest';
import { createDevice, grad, InvalidArgumentError, noGrad } from '@sympode/tensor';
import { GRADIENTS, keepSolution, keptAs, odeint, type GradientMethod } from '@sympode/symplectic';
import { mlpField } from '../helpers/mlp-ode.js';
import { randomData, relErr } from '../helpers/reference.js';

describe('keepers', () => {
  it('backprop under noGrad solves, keeps nothing and leaves nothing', async () => {
    const dev = await createDevice({ backend: 'cpu' });
    const { f, params, mlp } = mlpField(dev, [2, 8, 2], 4);
    const y0 = dev.tensor(randomData(6, 5), [3, 2], { requiresGrad: true });
    const want = await odeint(f, y0, [0, 1], { gradient: 'backprop', params });
    const before = dev.memory.stats().liveBytes;
    const got = await noGrad(() => odeint(f, y0, [0, 1], { gradient: 'backprop', params }));
    expect(got.requiresGrad).toBe(false);
    expect(Array.from(await got.data())).toEqual(Array.from(await want.data()));
    got.dispose();
    expect(dev.memory.stats().liveBytes).toBe(before);
    dev.dispose(want, y0);
    mlp.dispose();
  });

  it("a user's method reads what its keeper kept (keepSolution: the forward solution), and equals the adjoint", async () => {
    const seen: string[] = [];
    const adjointLike: GradientMethod = {
      ...GRADIENTS.adjoint,
      name: 'my-adjoint',
      keeper: keepSolution,
      backward: async (run) => {
        seen.push(run.kept.kind);
        expect(keptAs(run.kept, 'solution').ys.shape).toEqual([2, 3, 2]);
        expect(() => keptAs(run.kept, 'checkpoints')).toThrow(/expecting 'checkpoints' got 'solution'/);
        return GRADIENTS.adjoint.backward(run);
      },
    };
    const dev = await createDevice({ backend: 'cpu' });
    const { f, params, mlp } = mlpField(dev, [2, 8, 2], 4);
    const y0 = dev.tensor(randomData(6, 5), [3, 2], { requiresGrad: true });
    const run = async (gradient: GradientMethod | 'adjoint') => {
      const ys = await odeint(f, y0, [0, 1], { gradient, params, rtol: 1e-9, atol: 1e-9 });
      const loss = dev.tidy(() => ys.square().sum());
      const gs = await grad(loss, [y0, ...params]);
      const flat = Float64Array.from((await Promise.all(gs.map(async (g) => Array.from(await g.data())))).flat());
      dev.dispose(ys, loss, gs);
      return flat;
    };
    const base = dev.memory.stats().liveBytes;
    const mine = await run(adjointLike);
    expect(seen).toEqual(['solution']);
    expect(relErr(mine, await run('adjoint'))).toBe(0);
    // The kept solution went with the graph.
    expect(dev.memory.stats().liveBytes).toBe(base);
    dev.dispose(y0);
    mlp.dispose();
  });

  it('a graph-free method without a keeper is an InvalidArgumentError naming it', async () => {
    const dev = await createDevice({ backend: 'cpu' });
    const y0 = dev.tensor([1, 2], [2]);
    const { keeper: _, ...noKeeper } = GRADIENTS['symplectic-adjoint'];
    const m = { ...noKeeper, name: 'no-keeper' } as GradientMethod;
    await expect(odeint((_t, y) => y.neg(), y0, [0, 1], { gradient: m })).rejects.toThrow(InvalidArgumentError);
    await expect(odeint((_t, y) => y.neg(), y0, [0, 1], { gradient: m })).rejects.toThrow(/'no-keeper' does not record the graph, so it needs a keeper/);
    y0.dispose();
  });
});
