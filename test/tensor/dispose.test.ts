// `using` / `await using` (explicit resource management) on everything that owns buffers: tensors, devices,
// modules, optimisers and flows free exactly what they hold when their block ends, also when it throws.
import { describe, expect, it } from 'vitest';
import { createDevice, nn, optim, type Device, type Tensor } from '@sympode/tensor';
import { CNF } from '@sympode/flows';

function liveBytes(dev: Device): number {
  return dev.memory.stats().liveBytes;
}

describe('explicit resource management', () => {
  it('a tensor is disposed at the end of its block, also when the block throws', async () => {
    const dev = await createDevice({ backend: 'cpu' });
    let outer: Tensor | undefined;
    {
      using t = dev.tensor([1, 2, 3]);
      outer = t;
      expect(liveBytes(dev)).toBe(3 * 8);
    }
    expect(outer.isDisposed).toBe(true);
    expect(liveBytes(dev)).toBe(0);
    expect(() => {
      using t = dev.zeros([4]);
      outer = t;
      throw new Error('inside');
    }).toThrow('inside');
    expect(outer.isDisposed).toBe(true);
    expect(liveBytes(dev)).toBe(0);
    dev.destroy();
  });

  it('a module and its optimiser free their parameters and state', async () => {
    const dev = await createDevice({ backend: 'cpu' });
    {
      using net = new nn.MLP(dev, [2, 8, 2], 'tanh', { seed: 0 });
      using opt = new optim.Adam(net.parameters(), { lr: 1e-2 });
      const x = dev.tidy(() => net.forward(dev.ones([3, 2])).square().mean());
      await x.backward();
      opt.step();
      x.dispose();
      expect(liveBytes(dev)).toBeGreaterThan(0);
    }
    expect(liveBytes(dev)).toBe(0);
    dev.destroy();
  });

  it('a flow frees its blocks', async () => {
    const dev = await createDevice({ backend: 'cpu' });
    {
      using flow = CNF.ffjord(dev, 2, { hidden: [8], blocks: 1, seed: 0 });
      expect(flow.parameters().length).toBeGreaterThan(0);
    }
    expect(liveBytes(dev)).toBe(0);
    dev.destroy();
  });

  it('a device is destroyed at the end of its (async) block', async () => {
    let seen: Device | undefined;
    {
      await using dev = await createDevice({ backend: 'cpu' });
      seen = dev;
      expect(dev.destroyed).toBe(false);
    }
    expect(seen.destroyed).toBe(true);
    {
      using dev = await createDevice({ backend: 'cpu' });
      seen = dev;
    }
    expect(seen.destroyed).toBe(true);
  });
});
