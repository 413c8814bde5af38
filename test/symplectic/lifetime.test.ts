/**
 * Lifetimes of what a solve holds for backward (checkpoints, the forward solution): they must survive a `tidy`
 * enclosing odeint and the caller disposing the output before backward, and be freed once the graph is.
 */
import { describe, it, expect } from 'vitest';
import { createDevice, grad, nn, type Tensor } from '@sympode/tensor';
import { GRADIENT_METHODS, odeint } from '@sympode/symplectic';

async function setup() {
  const dev = await createDevice({ backend: 'cpu' });
  const mlp = new nn.MLP(dev, [2, 8, 2], 'tanh', { seed: 1 });
  const f = (_t: number, y: Tensor) => mlp.forward(y);
  const y0 = dev.randn([3, 2], { seed: 2, requiresGrad: true });
  return { dev, mlp, f, y0 };
}

describe('what backward needs outlives the caller’s handles (cpu float64)', () => {
  for (const gradient of GRADIENT_METHODS) {
    it(`${gradient}: odeint inside a tidy, backward after it; then nothing is left`, async () => {
      const { dev, mlp, f, y0 } = await setup();
      const opts = { params: mlp, gradient, method: 'rk4', stepSize: 0.1 } as const;
      // Reference: the plain call.
      const ysRef = await odeint(f, y0, [0, 0.5, 1], opts);
      const lossRef = dev.tidy(() => ysRef.square().sum());
      const ref = await grad(lossRef, [y0, ...mlp.parameters()]);
      dev.dispose(ysRef, lossRef);
      const held = dev.memory.stats().liveBytes;

      const ys = await dev.tidy(() => odeint(f, y0, [0, 0.5, 1], opts));
      const loss = dev.tidy(() => ys.square().sum());
      const gs = await grad(loss, [y0, ...mlp.parameters()]);
      for (const [i, g] of gs.entries()) expect(Array.from(await g.data())).toEqual(Array.from(await ref[i].data()));
      const gradBytes = gs.reduce((b, g) => b + g.size * 8, 0);
      dev.dispose(loss, ys);
      expect(dev.memory.stats().liveBytes).toBe(held + gradBytes);
      dev.dispose(gs, ref);
    });

    it(`${gradient}: the output disposed before backward`, async () => {
      const { dev, mlp, f, y0 } = await setup();
      const ys = await odeint(f, y0, [0, 0.5, 1], { params: mlp, gradient, method: 'dopri5', rtol: 1e-6, atol: 1e-8 });
      const last = ys.narrow(0, 2, 1);
      ys.dispose();
      const loss = dev.tidy(() => last.square().sum());
      const gs = await grad(loss, [y0, ...mlp.parameters()]);
      for (const g of gs) expect((await g.data()).every(Number.isFinite)).toBe(true);
      dev.dispose(loss, last, gs);
    });
  }
});
