/**
 * odeint's `onStep` and `signal` (issue 26 #6): every step attempted is reported, forward and in every
 * graph-free backward, in the caller's time; a signal cancels the solve or its backward between two steps
 * with an AbortError, after which no byte the solve held is left; bad values are refused by name.
 */
import { describe, expect, it } from 'vitest';
import { createDevice, grad, InvalidArgumentError, type Tensor } from '@sympode/tensor';
import { AbortError, odeint, type GradientMethodName, type OdeintOptions, type StepInfo } from '@sympode/symplectic';
import { mlpField } from '../helpers/mlp-ode.js';
import { randomData } from '../helpers/reference.js';

async function setup() {
  const dev = await createDevice({ backend: 'cpu' });
  const { f, params, mlp } = mlpField(dev, [2, 16, 2], 3);
  const y0 = dev.tensor(randomData(8, 7), [4, 2], { requiresGrad: true });
  return { dev, f, params, mlp, y0 };
}

describe('onStep', () => {
  it('hears every forward step in the caller time (rejections included), with the error ratio', async () => {
    const { dev, f, params, mlp, y0 } = await setup();
    const seen: StepInfo[] = [];
    const stats: { acceptedSteps?: number; rejectedSteps?: number; nfeForward?: number } = {};
    const ys = await odeint(f, y0, [1, 0.2], { params, rtol: 1e-9, atol: 1e-9, firstStep: 0.8, onStep: (i) => seen.push(i), stats });
    expect(seen.length).toBe(stats.acceptedSteps! + stats.rejectedSteps!);
    expect(stats.rejectedSteps).toBeGreaterThan(0);
    expect(seen.filter((s) => s.accepted).length).toBe(stats.acceptedSteps);
    for (const s of seen) {
      expect(s.phase).toBe('forward');
      expect(s.h).toBeLessThan(0); // decreasing times
      expect(s.accepted).toBe(s.error <= 1);
    }
    // The accepted steps tile [1, 0.2] in the caller's time.
    const acc = seen.filter((s) => s.accepted);
    expect(acc[0].t).toBe(1);
    expect(acc.reduce((x, s) => x + s.h, 0)).toBeCloseTo(-0.8, 12);
    expect(seen[seen.length - 1].nfe).toBe(stats.nfeForward);
    dev.dispose(ys, y0);
    mlp.dispose();
    dev.destroy();
  });

  const cases: [GradientMethodName, OdeintOptions][] = [
    ['symplectic-adjoint', {}], ['checkpoint', {}], ['adjoint', {}], ['recompute', {}],
    ['reversible', { method: 'reversible', base: 'rk4', stepSize: 0.1 }], ['reversible', { method: 'reversible_heun', stepSize: 0.1 }],
  ];
  for (const [gradient, extra] of cases) {
    it(`hears the backward's steps of ${gradient}${extra.method ? ` (${extra.method})` : ''}`, async () => {
      const { dev, f, params, mlp, y0 } = await setup();
      const seen: StepInfo[] = [];
      const stats: { acceptedSteps?: number; backwardSteps?: number; nfeBackward?: number } = {};
      const ys = await odeint(f, y0, [0, 1], { params, gradient, onStep: (i) => seen.push(i), stats, ...extra });
      const forward = seen.length;
      const loss = dev.tidy(() => ys.square().sum());
      const gs = await grad(loss, [y0, ...params]);
      const back = seen.slice(forward);
      expect(back.length).toBeGreaterThan(0);
      for (const s of back) expect(s.phase).toBe('backward');
      // Per-step sweeps walk the accepted steps; the continuous adjoint reports its own backward solve.
      expect(back.length).toBe(gradient === 'adjoint' ? stats.backwardSteps : stats.acceptedSteps);
      expect(back[back.length - 1].nfe).toBeLessThanOrEqual(stats.nfeBackward!);
      dev.dispose(ys, loss, gs, y0);
      mlp.dispose();
      dev.destroy();
    });
  }
});

describe('signal', () => {
  it('an aborted signal stops the forward with an AbortError naming its reason; nothing is left', async () => {
    const { dev, f, params, mlp, y0 } = await setup();
    const base = dev.memory.stats().liveBytes;
    const ctl = new AbortController();
    let steps = 0;
    const onStep = () => {
      if (++steps === 3) ctl.abort(new Error('enough'));
    };
    const run = odeint(f, y0, [0, 1], { params, rtol: 1e-10, atol: 1e-10, signal: ctl.signal, onStep });
    await expect(run).rejects.toThrow(AbortError);
    await expect(odeint(f, y0, [0, 1], { params, signal: ctl.signal })).rejects.toThrow(/odeint was aborted: enough/);
    expect(steps).toBe(3);
    expect(dev.memory.stats().liveBytes).toBe(base);
    dev.dispose(y0);
    mlp.dispose();
    dev.destroy();
  });

  for (const gradient of ['symplectic-adjoint', 'adjoint', 'reversible'] as const) {
    it(`cancels the backward of ${gradient} between two steps; with the output dropped nothing is left`, async () => {
      const { dev, f, params, mlp, y0 } = await setup();
      const base = dev.memory.stats().liveBytes;
      const ctl = new AbortController();
      let back = 0;
      const onStep = (i: StepInfo) => {
        if (i.phase === 'backward' && ++back === 2) ctl.abort();
      };
      const extra: OdeintOptions = gradient === 'reversible' ? { method: 'reversible', base: 'rk4', stepSize: 0.1 } : {};
      const ys = await odeint(f, y0, [0, 1], { params, gradient, signal: ctl.signal, onStep, ...extra });
      const loss = dev.tidy(() => ys.square().sum());
      await expect(grad(loss, [y0, ...params])).rejects.toThrow(AbortError);
      expect(back).toBe(2);
      dev.dispose(ys, loss);
      expect(dev.memory.stats().liveBytes).toBe(base);
      dev.dispose(y0);
      mlp.dispose();
      dev.destroy();
    });
  }

  it('bad signal or onStep values are InvalidArgumentErrors', async () => {
    const dev = await createDevice({ backend: 'cpu' });
    const y0 = dev.tensor([1], [1]);
    const f = (_t: number, y: Tensor) => y.neg();
    await expect(odeint(f, y0, [0, 1], { signal: {} as never })).rejects.toThrow(/signal must be an AbortSignal/);
    await expect(odeint(f, y0, [0, 1], { onStep: 3 as never })).rejects.toThrow(InvalidArgumentError);
    dev.destroy();
  });
});
