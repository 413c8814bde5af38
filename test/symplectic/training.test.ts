/** An MLP learns a toy regression with Adam (and SGD with momentum) on both backends. */
import { describe, it, expect } from 'vitest';
import { createDevice, nn, optim, type Device } from '@sympode/tensor';
import { webgpuDevice } from '../helpers/devices.js';

async function train(dev: Device, opt: 'adam' | 'sgd'): Promise<{ first: number; last: number }> {
  const mlp = new nn.MLP(dev, [1, 32, 1], 'tanh', { seed: 7 });
  const o = opt === 'adam' ? new optim.Adam(mlp.parameters(), { lr: 0.02 }) : new optim.SGD(mlp.parameters(), { lr: 0.1, momentum: 0.9 });
  const x = dev.tensor(Float64Array.from({ length: 64 }, (_, i) => -2 + (4 * i) / 63), [64, 1]);
  const y = dev.tidy(() => x.mul(1.5).sin());
  const losses: number[] = [];
  const live0 = dev.memory.stats().liveBytes;
  for (let i = 0; i < 300; i++) {
    losses.push(
      await dev.tidy(async () => {
        const loss = mlp.forward(x).sub(y).square().mean();
        await loss.backward();
        o.step();
        o.zeroGrad();
        return loss.item();
      }),
    );
  }
  o.dispose();
  expect(dev.memory.stats().liveBytes).toBe(live0); // optimizer state freed, nothing else left
  mlp.dispose();
  dev.dispose(x, y);
  return { first: losses[0], last: losses[losses.length - 1] };
}

describe('MLP regression converges', () => {
  it('cpu float64, Adam and SGD+momentum', async () => {
    const dev = await createDevice({ backend: 'cpu' });
    for (const o of ['adam', 'sgd'] as const) {
      const { first, last } = await train(dev, o);
      expect(last).toBeLessThan(first / 20);
      expect(last).toBeLessThan(0.01);
    }
  });
  it('webgpu float32, Adam', async (ctx) => {
    const dev = await webgpuDevice();
    if (!dev) return ctx.skip();
    const { first, last } = await train(dev, 'adam');
    expect(last).toBeLessThan(first / 20);
    expect(last).toBeLessThan(0.01);
  });
});
