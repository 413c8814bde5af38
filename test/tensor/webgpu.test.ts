/**
 * The same expressions on webgpu (float32) and cpu (float64): forward values and every input gradient agree
 * to float32 accuracy. Odd sizes, broadcasting, batched matmul.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { concat, createDevice, grad, stack, where, type Device, type Tensor } from '@sympode/tensor';
import { randomData, relErr } from '../helpers/reference.js';
import { webgpuDevice } from '../helpers/devices.js';

let cpu: Device;
let gpu: Device | null;
beforeAll(async () => {
  cpu = await createDevice({ backend: 'cpu' });
  gpu = await webgpuDevice();
});

type Case = [string, number[][], (...xs: Tensor[]) => Tensor, [number, number]?];
const cases: Case[] = [
  ['unary chain', [[33, 65]], (x) => x.tanh().add(x.sigmoid()).add(x.softplus()).add(x.relu()).add(x.sin()).add(x.cos()).add(x.exp()).add(x.abs())],
  ['log/sqrt/pow on positives', [[257]], (x) => x.log().add(x.sqrt()).add(x.pow(1.5)).add(x.pow(-2)), [0.2, 2]],
  ['broadcast add/sub/mul/div', [[5, 1, 7], [3, 1]], (a, b) => a.add(b).mul(a.sub(b)).div(b.square().add(1))],
  ['maximum/minimum/where', [[7, 33], [33]], (a, b) => where(a.gt(b), a.maximum(b), a.minimum(b).mul(2))],
  ['reductions', [[7, 33, 5]], (x) => x.sum(1, true).add(x.max(2, true)).mul(x.mean([0, 2], true))],
  ['long reduction', [[3, 5000]], (x) => x.sum(1).add(x.max(1))],
  ['matmul 2-D ragged', [[7, 33], [33, 65]], (a, b) => a.matmul(b)],
  ['matmul batched', [[3, 17, 9], [3, 9, 13]], (a, b) => a.matmul(b)],
  ['matmul broadcast batch', [[3, 17, 9], [9, 13]], (a, b) => a.matmul(b)],
  ['matmul 65x257x33', [[65, 257], [257, 33]], (a, b) => a.matmul(b)],
  ['movement', [[4, 7, 3]], (x) => concat([x.transpose([2, 0, 1]).reshape([84]), stack([x.narrow(1, 2, 4).sum(1), x.slice([null, [0, 1]]).sum(1)], 0).reshape([24])], 0)],
];

async function run(dev: Device, shapes: number[][], f: Case[2], range: [number, number]) {
  return dev.tidy(async () => {
    const xs = shapes.map((s, i) => dev.tensor(randomData(s.reduce((p, d) => p * d, 1), 100 + i, ...range), s, { requiresGrad: true }));
    const y = f(...xs);
    const w = dev.tensor(randomData(y.size, 7), y.shape);
    const gs = await grad(y.mul(w).sum(), xs);
    return { y: await y.data(), gs: await Promise.all(gs.map((g) => g.data())) };
  });
}

describe('webgpu float32 vs cpu float64: forward and gradients', () => {
  for (const [name, shapes, f, range = [-1, 1]] of cases) {
    it(name, async (ctx) => {
      if (!gpu) return ctx.skip();
      const ref = await run(cpu, shapes, f, range);
      const got = await run(gpu, shapes, f, range);
      expect(relErr(got.y, ref.y)).toBeLessThan(2e-5);
      got.gs.forEach((g, i) => expect(relErr(g, ref.gs[i])).toBeLessThan(2e-5));
    });
  }

  it('frees every buffer it used: live bytes back to zero on the device', async (ctx) => {
    if (!gpu) return ctx.skip();
    const before = gpu.memory.stats().liveBytes;
    await run(gpu, [[7, 33], [33, 65]], (a, b) => a.matmul(b).tanh(), [-1, 1]);
    expect(gpu.memory.stats().liveBytes).toBe(before);
  });
});
