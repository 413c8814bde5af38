/**
 * Adam's stateDict()/loadStateDict(): a run saved after k steps (through JSON) and restored into a fresh
 * parameter and optimiser continues to the same values, to the last digit, as one never stopped; bad state
 * is refused before anything is written.
 */
import { it, expect } from 'vitest';
import { createDevice, optim, InvalidArgumentError, ShapeError, type Device, type Tensor } from '@sympode/tensor';

async function steps(dev: Device, p: Tensor, opt: optim.Adam, n: number) {
  const c = dev.tensor([1, 3, 0.2, -0.7]);
  for (let s = 0; s < n; s++) {
    const loss = dev.tidy(() => p.sin().mul(c).sum().add(p.square().sum()));
    await loss.backward();
    loss.dispose();
    opt.step();
    opt.zeroGrad();
  }
  c.dispose();
}

it.each(['float64', 'float32'] as const)('Adam resumes from its state dict to identical numbers (%s)', async (dtype) => {
  const dev = await createDevice({ backend: 'cpu', dtype });
  const p0 = [1, -2, 0.5, 0.25];
  const o = { lr: 0.05, betas: [0.8, 0.99] as [number, number], weightDecay: 0.01 };
  const a = dev.tensor(p0, [4], { requiresGrad: true });
  const optA = new optim.Adam([a], o);
  await steps(dev, a, optA, 6);

  const b = dev.tensor(p0, [4], { requiresGrad: true });
  const optB = new optim.Adam([b], o);
  await steps(dev, b, optB, 3);
  const saved = JSON.parse(JSON.stringify({ p: Array.from(await b.data()), opt: await optB.stateDict() }));
  expect(saved.opt.step).toBe(3);

  const c = dev.tensor(saved.p, [4], { requiresGrad: true });
  const optC = new optim.Adam([c], o);
  optC.loadStateDict(saved.opt);
  await steps(dev, c, optC, 3);
  expect(Array.from(await c.data())).toEqual(Array.from(await a.data()));
  expect((await optC.stateDict()).step).toBe(6);
});

it('a fresh Adam has step 0 and null state; bad state is refused whole', async () => {
  const dev = await createDevice({ backend: 'cpu' });
  const p = dev.tensor([1, 2], [2], { requiresGrad: true });
  const opt = new optim.Adam([p]);
  expect(await opt.stateDict()).toEqual({ kind: 'Adam', step: 0, state: [null] });
  const good = { kind: 'Adam' as const, step: 2, state: [{ m: { shape: [2], data: [1, 2] }, v: { shape: [2], data: [3, 4] } }] };
  expect(() => opt.loadStateDict({ ...good, kind: 'SGD' } as never)).toThrow(InvalidArgumentError);
  expect(() => opt.loadStateDict({ ...good, step: -1 })).toThrow(/step must be an integer/);
  expect(() => opt.loadStateDict({ ...good, state: [] })).toThrow(/state has 0 entries; the optimiser has 1/);
  expect(() => opt.loadStateDict({ ...good, state: [{ ...good.state[0], v: { shape: [3], data: [1, 2, 3] } }] })).toThrow(ShapeError);
  expect(() => opt.loadStateDict({ ...good, state: [{ ...good.state[0], m: { shape: [2], data: [1, NaN] } }] })).toThrow(/finite numbers/);
  expect(await opt.stateDict()).toEqual({ kind: 'Adam', step: 0, state: [null] }); // nothing written
  opt.loadStateDict(good);
  expect(await opt.stateDict()).toEqual(good);
});
