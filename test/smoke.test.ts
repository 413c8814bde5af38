import { describe, it, expect } from 'vitest';
import { createDevice, grad } from '@sympode/tensor';

describe('smoke', () => {
  it('computes and differentiates on cpu', async () => {
    const dev = await createDevice({ backend: 'cpu' });
    const x = dev.tensor([[1, 2], [3, 4]], undefined, { requiresGrad: true });
    const w = dev.tensor([[0.5, -1], [2, 0.25]], undefined, { requiresGrad: true });
    const y = x.matmul(w).tanh().sum();
    const [gx, gw] = await grad(y, [x, w]);
    expect(await y.item()).toBeCloseTo(Math.tanh(0.5 + 4) + Math.tanh(-1 + 0.5) + Math.tanh(1.5 + 8) + Math.tanh(-3 + 1), 12);
    expect(gx.shape).toEqual([2, 2]);
    expect(gw.shape).toEqual([2, 2]);
    console.log(await gx.array(), await gw.array(), dev.memory.stats());
  });
});
