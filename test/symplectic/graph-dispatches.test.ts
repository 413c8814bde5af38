/**
 * Dispatches of a recorded (backprop) step beyond f's own: one per stage combination (`combineTerms`: each
 * stage state and y1 one kernel, where a `mul` and an `add` per nonzero coefficient used to be), on both
 * backends; measured as the growth per step between N and 2N fixed steps.
 */
import { describe, it, expect } from 'vitest';
import { createDevice, enableGrad, grad, nn, type Device } from '@sympode/tensor';
import { getTableau, odeint } from '@sympode/symplectic';
import { webgpuDevice } from '../helpers/devices.js';

const backends: [string, () => Promise<Device | null>][] = [
  ['cpu', () => createDevice({ backend: 'cpu' })],
  ['webgpu', () => webgpuDevice()],
];

describe.each(backends)('backprop forward dispatches per step (%s)', (_name, make) => {
  for (const method of ['euler', 'midpoint', 'rk4', 'rk38']) it(`${method}: f’s, and one per stage combination`, async ({ skip }) => {
    const dev = await make();
    if (!dev) return skip();
    const mlp = new nn.MLP(dev, [2, 8, 2], 'tanh', { seed: 1 });
    const f = (_t: number, y: Parameters<typeof mlp.forward>[0]) => mlp.forward(y);
    const y0 = dev.tensor([1, 2, 3, 4, 5, 6], [3, 2], { requiresGrad: true });
    const c = dev.backend.counters;
    const d = c.dispatches;
    const probe = enableGrad(() => f(0, y0));
    const perF = c.dispatches - d;
    const forward = async (N: number) => {
      const d0 = c.dispatches;
      const ys = await odeint(f, y0, [0, 1], { method, stepSize: 1 / N, gradient: 'backprop' });
      const n = c.dispatches - d0;
      const [g] = await grad(ys.sum(), [y0]); // the graph is used (and freed)
      dev.dispose(ys, g);
      return n;
    };
    const perStep = ((await forward(8)) - (await forward(4))) / 4;
    const tab = getTableau(method);
    const s = tab.b.length;
    // Stage states 1..s−1 and y1 (with FSAL y1 is the last stage state): one combineTerms each.
    const combinations = s - 1 + (tab.fsal ? 0 : 1);
    expect(perStep).toBe(s * perF + combinations);
    dev.dispose(probe, y0);
    mlp.dispose();
  });
});
