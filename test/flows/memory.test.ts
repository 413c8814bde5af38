/**
 * Nothing of f's inner graph survives a step: with the symplectic adjoint on a CNF field (its VJPs built
 * inside f at every evaluation), what the forward leaves behind and the backward's peak both grow by exactly
 * one augmented state per step, and once the caller drops its handles nothing is left (cpu float64, rk4).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { createDevice, grad, type Device } from '@sympode/tensor';
import { odeint, type GradientMethodName } from '@sympode/symplectic';
import { cnfField, ConcatSquashNet, type TraceEstimator } from '@sympode/flows';
import { randomData } from '../helpers/reference.js';

let dev: Device;
beforeAll(async () => {
  dev = await createDevice({ backend: 'cpu' });
});

const B = 8, D = 2, W = D + 1;
const S = B * W * 8;

async function measure(gradient: GradientMethodName, trace: TraceEstimator, N: number) {
  const net = new ConcatSquashNet(dev, [D, 16, 16, D], { seed: 1 });
  const f = cnfField(net, { dim: D, trace, noise: randomData(B * D, 2) });
  const s0 = dev.tensor(randomData(B * W, 3), [B, W], { requiresGrad: true });
  const held = dev.memory.stats().liveBytes;
  dev.memory.resetPeak();
  const ys = await odeint(f, s0, [0, 1], { method: 'rk4', stepSize: 1 / N, gradient, params: net.parameters() });
  const forwardPeak = dev.memory.stats().peakBytes - held;
  const between = dev.memory.stats().liveBytes - held;
  const loss = dev.tidy(() => ys.square().sum());
  dev.memory.resetPeak();
  const gs = await grad(loss, [s0, ...net.parameters()]);
  const backwardPeak = dev.memory.stats().peakBytes - held;
  dev.dispose(ys, loss, gs, s0);
  net.dispose();
  return { forwardPeak, between, backwardPeak, left: dev.memory.stats().liveBytes };
}

describe('CNF field memory per step (symplectic adjoint)', () => {
  for (const trace of ['exact', 'hutchinson'] as const) {
    it(`${trace} trace: the forward keeps one state per step and no f graph; backward +1 state per step; nothing left after`, async () => {
      const base = dev.memory.stats().liveBytes;
      const Ns = [4, 8, 16];
      const r = [];
      for (const N of Ns) r.push(await measure('symplectic-adjoint', trace, N));
      for (let i = 1; i < Ns.length; i++) {
        const dN = Ns[i] - Ns[i - 1];
        // The forward's peak is set by its first evaluation (f's graph recorded once, to find its parameters);
        // no step's transient accumulates, so it grows by at most the checkpoints.
        expect(r[i].forwardPeak - r[i - 1].forwardPeak).toBeLessThanOrEqual(dN * S);
        expect((r[i].backwardPeak - r[i - 1].backwardPeak) / dN).toBe(S);
      }
      // Left by the forward: exactly the N − 1 checkpoints and the two outputs, no byte of any f graph.
      Ns.forEach((N, i) => expect(r[i].between).toBe((N + 1) * S));
      for (const x of r) expect(x.left).toBe(base);
    });
  }
});
