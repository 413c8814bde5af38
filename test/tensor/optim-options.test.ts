/**
 * SGD's dampening and nesterov follow PyTorch's algorithm (torch.optim.SGD), checked against a plain-number
 * transcription of it over a few steps on a quadratic.
 */
import { it, expect } from 'vitest';
import { createDevice, optim } from '@sympode/tensor';

/** torch.optim.SGD, element-wise on plain numbers (grad of ½·Σ c·p² is c·p). */
function reference(p0: number[], c: number[], steps: number, o: { lr: number; momentum: number; dampening: number; nesterov: boolean; weightDecay: number }) {
  const p = [...p0];
  const buf: (number | null)[] = p.map(() => null);
  for (let s = 0; s < steps; s++) {
    for (let i = 0; i < p.length; i++) {
      let g = c[i] * p[i] + o.weightDecay * p[i];
      const b = buf[i] === null ? g : o.momentum * buf[i]! + (1 - o.dampening) * g;
      buf[i] = b;
      g = o.nesterov ? g + o.momentum * b : b;
      p[i] -= o.lr * g;
    }
  }
  return p;
}

it.each([
  { lr: 0.1, momentum: 0.9, dampening: 0.3, nesterov: false, weightDecay: 0 },
  { lr: 0.05, momentum: 0.8, dampening: 0, nesterov: true, weightDecay: 0.01 },
])('SGD %o matches PyTorch', async (o) => {
  const dev = await createDevice({ backend: 'cpu' });
  const p0 = [1, -2, 0.5];
  const c = [1, 3, 0.2];
  const p = dev.tensor(p0, [3], { requiresGrad: true });
  const cT = dev.tensor(c);
  const opt = new optim.SGD([p], o);
  for (let s = 0; s < 4; s++) {
    const loss = dev.tidy(() => p.square().mul(cT).sum().mul(0.5));
    await loss.backward();
    loss.dispose();
    opt.step();
    opt.zeroGrad();
  }
  const got = Array.from(await p.data());
  reference(p0, c, 4, o).forEach((v, i) => expect(got[i]).toBeCloseTo(v, 14));
  opt.dispose();
  dev.dispose(p, cT);
});
