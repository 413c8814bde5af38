/** Every solver failure is a clear, typed error naming what went wrong and where. */
import { describe, it, expect, beforeAll } from 'vitest';
import { createDevice, InvalidArgumentError, NonFiniteError, ShapeError, type Device, type Tensor } from '@sympode/tensor';
import {
  MaxStepsExceededError, NonFiniteStateError, odeint, StepSizeUnderflowError, UnknownGradientMethodError, UnknownMethodError,
} from '@sympode/symplectic';

let dev: Device;
beforeAll(async () => {
  dev = await createDevice({ backend: 'cpu' });
});

const decay = (_t: number, y: Tensor) => y.neg();

describe('solver errors', () => {
  it('step-size underflow names t and h', async () => {
    const y0 = dev.tensor([1]);
    await expect(odeint(decay, y0, [1e6, 1e6 + 1], { firstStep: 1e-300 })).rejects.toThrow(StepSizeUnderflowError);
    await expect(odeint(decay, y0, [1e6, 1e6 + 1], { firstStep: 1e-300 })).rejects.toThrow(/at t = 1000000: h = 1e-300/);
  });
  it('maxSteps exceeded', async () => {
    await expect(odeint(decay, dev.tensor([1]), [0, 10], { maxSteps: 3 })).rejects.toThrow(MaxStepsExceededError);
    await expect(odeint(decay, dev.tensor([1]), [0, 10], { maxSteps: 3 })).rejects.toThrow(/maxSteps \(3\) exceeded at t = /);
  });
  it('non-finite derivative or state names the step', async () => {
    const log = (_t: number, y: Tensor) => y.log();
    await expect(odeint(log, dev.tensor([-1]), [0, 1])).rejects.toThrow(NonFiniteStateError);
    // A blow-up (y' = y², y(0) = 1, singular at t = 1) in fixed steps: found at the output interval.
    const sq = (_t: number, y: Tensor) => y.square().mul(50);
    await expect(odeint(sq, dev.tensor([1]), [0, 1, 2], { method: 'euler', stepSize: 0.1 })).rejects.toThrow(/non-finite state between t = 0 and t = 1/);
    // Adaptive: the error estimate turns NaN at a named step.
    const bad = (t: number, y: Tensor) => (t > 0.5 ? y.mul(0).log().mul(0) : y.neg());
    await expect(odeint(bad, dev.tensor([1]), [0, 1])).rejects.toThrow(/non-finite state or derivative in step \d+ \(t = /);
  });
  it('f returning the wrong shape', async () => {
    await expect(odeint((_t, y) => y.sum(), dev.tensor([[1, 2]]), [0, 1])).rejects.toThrow(ShapeError);
    await expect(odeint((_t, y) => y.sum(), dev.tensor([[1, 2]]), [0, 1])).rejects.toThrow(/returned shape \[\] at t = 0; expected the state's shape \[1, 2\]/);
  });
  it('unknown method or gradient lists the valid ones', async () => {
    await expect(odeint(decay, dev.tensor([1]), [0, 1], { method: 'rk45' })).rejects.toThrow(UnknownMethodError);
    await expect(odeint(decay, dev.tensor([1]), [0, 1], { method: 'rk45' })).rejects.toThrow(/dopri5/);
    await expect(odeint(decay, dev.tensor([1]), [0, 1], { gradient: 'magic' })).rejects.toThrow(UnknownGradientMethodError);
    await expect(odeint(decay, dev.tensor([1]), [0, 1], { gradient: 'magic' })).rejects.toThrow(/symplectic-adjoint, backprop, checkpoint, adjoint/);
  });
  it('output times not strictly monotone, tolerances ≤ 0, stepSize on an adaptive method', async () => {
    await expect(odeint(decay, dev.tensor([1]), [0, 1, 1])).rejects.toThrow(InvalidArgumentError);
    await expect(odeint(decay, dev.tensor([1]), [0, 1, 0.5])).rejects.toThrow(/strictly increasing or strictly decreasing: t\[1\] = 1, t\[2\] = 0.5/);
    await expect(odeint(decay, dev.tensor([1]), [])).rejects.toThrow(/non-empty/);
    await expect(odeint(decay, dev.tensor([1]), [0, 1], { rtol: 0 })).rejects.toThrow(/rtol must be a positive finite number, got 0/);
    await expect(odeint(decay, dev.tensor([1]), [0, 1], { atol: -1 })).rejects.toThrow(InvalidArgumentError);
    await expect(odeint(decay, dev.tensor([1]), [0, 1], { stepSize: 0.1 })).rejects.toThrow(/stepSize is for fixed-step methods/);
  });
  it('NaN in y0', async () => {
    await expect(odeint(decay, dev.tensor([1, NaN], undefined, { allowNonFinite: true }), [0, 1])).rejects.toThrow(NonFiniteError);
  });
  it('a failed solve leaves nothing allocated', async () => {
    const y0 = dev.tensor([1]);
    const before = dev.memory.stats().liveBytes;
    await expect(odeint(decay, y0, [0, 10], { maxSteps: 3 })).rejects.toThrow(MaxStepsExceededError);
    expect(dev.memory.stats().liveBytes).toBe(before);
  });
});

describe('solutions', () => {
  it('match the exact solution of y′ = −y forward and backward in time', async () => {
    const ys = await odeint(decay, dev.tensor([1, 2]), [0, 0.5, 1], { rtol: 1e-10, atol: 1e-12 });
    const v = await ys.data();
    expect(v[4]).toBeCloseTo(Math.exp(-1), 9);
    expect(v[5]).toBeCloseTo(2 * Math.exp(-1), 9);
    const back = await odeint(decay, dev.tensor([1]), [1, 0], { rtol: 1e-10, atol: 1e-12 });
    expect((await back.data())[1]).toBeCloseTo(Math.E, 9);
  });
});

describe('tolerances at the edge of the dtype', () => {
  it('tight but meaningful tolerances are accepted: float64 down to its eps, float32 at the default rtol 1e-7', async () => {
    const exact = [Math.exp(-1), 2 * Math.exp(-1)];
    for (const o of [{ rtol: 2.3e-16, atol: 1e-300 }, { rtol: 1e-13, atol: 1e-15 }, { rtol: 1e-12, atol: 1e-14 }]) {
      const v = await (await odeint(decay, dev.tensor([1, 2]), [0, 1], o)).data();
      expect(Math.abs(v[2] - exact[0])).toBeLessThan(1e-11);
    }
    const f32 = await createDevice({ backend: 'cpu', dtype: 'float32' });
    const v = await (await odeint(decay, f32.tensor([1, 2]), [0, 1])).data();
    expect(Math.abs(v[3] - exact[1])).toBeLessThan(1e-5);
    f32.destroy();
  });
  it('an atol of 1e-200 on a component that starts at 0 takes small first steps, not an overflowed NaN', async () => {
    // The first-step norms overflowed (f0 / atol ≈ 1e200, squared) and gave NaN; now taken as hypot does.
    const stats = {} as { acceptedSteps?: number };
    const v = await (await odeint((_t, y) => y.neg().add(1), dev.tensor([0, 1]), [0, 1], { atol: 1e-200, stats })).data();
    expect(v[2]).toBeCloseTo(1 - Math.exp(-1), 6);
    expect(stats.acceptedSteps).toBeGreaterThan(100); // from h ≈ 1e-193, growing 10× a step
  });
});

describe('failed solves free their memory, with every gradient method', () => {
  it('shape error mid-solve and maxSteps leave live bytes unchanged', async () => {
    const y0 = dev.tensor([[1, 2]], undefined, { requiresGrad: true });
    const before = dev.memory.stats().liveBytes;
    let calls = 0;
    const flaky = (_t: number, y: Tensor) => (++calls > 5 ? y.sum() : y.neg());
    for (const gradient of ['symplectic-adjoint', 'backprop', 'checkpoint', 'adjoint']) {
      calls = 0;
      await expect(odeint(flaky, y0, [0, 1], { gradient })).rejects.toThrow(ShapeError);
      await expect(odeint(decay, y0, [0, 10], { gradient, maxSteps: 2 })).rejects.toThrow(MaxStepsExceededError);
      expect(dev.memory.stats().liveBytes).toBe(before);
    }
  });
});

describe('vector fields that return their input or leave temporaries', () => {
  it('f = identity works with FSAL reuse; temporaries f leaves behind are freed per call', async () => {
    const ys = await odeint((_t, y) => y, dev.tensor([1]), [0, 1], { rtol: 1e-9, atol: 1e-12 });
    expect((await ys.data())[1]).toBeCloseTo(Math.E, 8);
    const peaks: number[] = [];
    for (const N of [10, 100]) {
      const y0 = dev.tensor([1, 2, 3]);
      dev.memory.resetPeak();
      const base = dev.memory.stats().liveBytes;
      // A sloppy f: its intermediate y.mul(-1) is never disposed by f itself.
      const out = await odeint((_t, y) => y.mul(-1).mul(0.5), y0, [0, 1], { method: 'rk4', stepSize: 1 / N });
      peaks.push(dev.memory.stats().peakBytes - base);
      dev.dispose(out, y0);
    }
    expect(peaks[1]).toBe(peaks[0]);
  });
});
