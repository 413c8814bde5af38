/**
 * valueAndVjps, the inner-graph pattern: graph-free outside a recorded computation (plain results, the inner
 * graph freed: live bytes = the results), recorded inside one (the VJPs are differentiable again, in z and in
 * the parameters g reads).
 */
import { describe, it, expect } from 'vitest';
import { createDevice, enableGrad, grad, noGrad } from '@sympode/tensor';
import { valueAndVjps } from '@sympode/flows';

describe('valueAndVjps', () => {
  it('graph-free: plain results, nothing else left alive', async () => {
    const dev = await createDevice({ backend: 'cpu' });
    const w = dev.tensor([0.5, -2], [1, 2], { requiresGrad: true });
    const z = dev.tensor([1, 2, 3, 4], [2, 2]);
    const c = dev.tensor([1, 0, 0, 1], [2, 2]);
    const base = dev.memory.stats().liveBytes;
    const { value, vjps } = await noGrad(() => dev.tidy(() => valueAndVjps((x) => x.pow(3).mul(w), z, [c])));
    expect(value.requiresGrad).toBe(false);
    expect(vjps[0].requiresGrad).toBe(false);
    expect(dev.memory.stats().liveBytes - base).toBe(2 * 4 * 8);
    // g = w ⊙ z³, cᵀ∂g/∂z = c ⊙ 3 w z².
    expect(Array.from(await vjps[0].data(), (v) => v + 0)).toEqual([1.5, 0, 0, -96]);
    dev.dispose(value, vjps);
  });

  it('recorded: the VJP is differentiable in z and in the parameters', async () => {
    const dev = await createDevice({ backend: 'cpu' });
    const w = dev.tensor([0.5, -2], [1, 2], { requiresGrad: true });
    const z = dev.tensor([1, 2, 3, 4], [2, 2], { requiresGrad: true });
    const c = dev.tensor([1, 1, 1, 1], [2, 2]);
    const { vjps } = await enableGrad(() => dev.tidy(() => valueAndVjps((x) => x.pow(3).mul(w), z, [c])));
    const s = enableGrad(() => vjps[0].sum());
    const [gz, gw] = await grad(s, [z, w]);
    // Σ 3 w z²: ∂/∂z = 6 w z, ∂/∂w = Σ_rows 3 z².
    expect(Array.from(await gz.data())).toEqual([3, -24, 9, -48]);
    expect(Array.from(await gw.data())).toEqual([30, 60]);
  });
});
