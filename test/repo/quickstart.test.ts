/** The README's library quick-start, run as written (fewer iterations): the loss falls, nothing leaks. */
import { it, expect } from 'vitest';
import { createDevice, nn, optim, type Tensor } from '@sympode/tensor';
import { odeint } from '@sympode/symplectic';

it('README quick-start trains a Neural ODE with the symplectic adjoint', async () => {
  const dev = await createDevice({ backend: 'cpu' });
  const mlp = new nn.MLP(dev, [2, 32, 2], 'tanh', { seed: 0 });
  const opt = new optim.Adam(mlp.parameters(), { lr: 1e-2 });
  const f = (t: number, y: Tensor) => mlp.forward(y);
  const y0 = dev.randn([64, 2], { seed: 1 });
  const target = dev.tidy(() => y0.mul(0.5));
  const losses: number[] = [];
  let held = 0;
  for (let it = 0; it < 40; it++) {
    losses.push(
      await dev.tidy(async () => {
        const ys = await odeint(f, y0, [0, 1], { params: mlp, gradient: 'symplectic-adjoint' });
        const loss = ys.narrow(0, 1, 1).reshape([64, 2]).sub(target).square().mean();
        await loss.backward();
        opt.step();
        opt.zeroGrad();
        return loss.item();
      }),
    );
    if (it === 0) held = dev.memory.stats().liveBytes; // after Adam's state exists
  }
  expect(losses[losses.length - 1]).toBeLessThan(losses[0] / 5);
  expect(dev.memory.stats().liveBytes).toBe(held);
  const labels = dev.memory.stats().byLabel;
  expect(labels.checkpoints.liveBytes).toBe(0);
  expect(labels.checkpoints.peakBytes).toBeGreaterThan(0);
});
