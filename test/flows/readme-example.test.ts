/** The README's CNF example, run as written (fewer iterations): the negative log-likelihood falls, nothing leaks. */
import { it, expect } from 'vitest';
import { createDevice, optim } from '@sympode/tensor';
import { CNF, toyBatch } from '@sympode/flows';

it('README: an FFJORD CNF learns 8gaussians with the symplectic adjoint', async () => {
  const dev = await createDevice({ backend: 'cpu' });
  const cnf = CNF.ffjord(dev, 2, { hidden: [32, 32], seed: 0, solver: { gradient: 'symplectic-adjoint' } });
  const opt = new optim.Adam(cnf.parameters(), { lr: 1e-2 });
  const losses: number[] = [];
  let held = 0;
  for (let it = 0; it < 6; it++) {
    losses.push(
      await dev.tidy(async () => {
        const x = toyBatch(dev, '8gaussians', 128, it); // a fresh seeded batch
        const loss = (await cnf.logProb(x)).mean().neg(); // −log-likelihood
        await loss.backward(); // exact gradient; memory: one state per solver step
        opt.step();
        opt.zeroGrad();
        return loss.item();
      }),
    );
    if (it === 0) held = dev.memory.stats().liveBytes; // after Adam's state exists
  }
  const samples = await dev.noGrad(() => cnf.sample(1000, { seed: 1 }));
  expect(samples.shape).toEqual([1000, 2]);
  samples.dispose();
  expect((losses[4] + losses[5]) / 2).toBeLessThan(losses[0] - 0.2);
  expect(dev.memory.stats().liveBytes).toBe(held);
});
