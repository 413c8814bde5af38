/**
 * odeint's `stages: 'keep'`: the forward stores each accepted step's first m stage derivatives and the
 * symplectic adjoint's backward rebuilds the stage states from them instead of evaluating f without a graph.
 * The gradient must be the default's bit for bit (the stored k's are the ones the recomputation would
 * produce), the backward must evaluate f m times fewer per step, and the memory must grow by exactly the
 * stored states, N·m·S, and go back to the baseline afterwards.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { createDevice, grad, type Device } from '@sympode/tensor';
import { GRADIENTS, getTableau, odeint, type OdeintOptions } from '@sympode/symplectic';
import { randomData, relErr } from '../helpers/reference.js';
import { measureSolve, mlpField, solveGradients, weightedLoss } from '../helpers/mlp-ode.js';
import { hasWebgpu, webgpuDevice } from '../helpers/devices.js';

let dev: Device;
beforeAll(async () => {
  dev = await createDevice({ backend: 'cpu' });
});

const rows = (name: string) => GRADIENTS['symplectic-adjoint'].storedStageRows!(getTableau(name as never));

describe("stages: 'keep'", () => {
  it('stores the stage derivatives the backward would evaluate (dopri5: k0…k4; rk4: k0…k2; euler: none)', () => {
    expect(rows('dopri5')).toBe(5);
    expect(rows('tsit5')).toBe(5);
    expect(rows('bosh3')).toBe(2);
    expect(rows('rk4')).toBe(3);
    expect(rows('euler')).toBe(0);
  });

  const cases: [string, number[], OdeintOptions][] = [
    ['dopri5', [0, 1.5], {}],
    ['dopri5', [0, 0.3, 0.7, 1.5], {}],
    ['tsit5', [0, 0.4, 1.5], {}],
    ['bosh3', [0, 1.5], {}],
    ['rk4', [0, 0.5, 1.5], { stepSize: 0.1 }],
    ['euler', [0, 1], { stepSize: 0.1 }],
  ];
  for (const [method, times, extra] of cases) {
    it(`${method}, outputs at ${times.join(', ')}: the default's gradient bit for bit, m fewer evaluations per step`, async () => {
      const a = await solveGradients(dev, method, 'symplectic-adjoint', times, { ...extra, stages: 'keep' });
      const b = await solveGradients(dev, method, 'symplectic-adjoint', times, extra);
      const c = await solveGradients(dev, method, 'backprop', times, extra);
      expect(a.stats.acceptedSteps).toBe(b.stats.acceptedSteps);
      a.gs.forEach((g, i) => expect(g).toEqual(b.gs[i]));
      a.gs.forEach((g, i) => expect(relErr(g, c.gs[i])).toBeLessThan(1e-12));
      expect(a.stats.nfeForward).toBe(b.stats.nfeForward);
      expect(a.stats.nfeBackward).toBe(b.stats.nfeBackward! - rows(method) * a.stats.acceptedSteps!);
    });
  }

  it('dopri5 backward: only the 6 VJP evaluations per step', async () => {
    const a = await solveGradients(dev, 'dopri5', 'symplectic-adjoint', [0, 2], { stages: 'keep' });
    expect(a.stats.acceptedSteps).toBeGreaterThan(3);
    expect(a.stats.nfeBackward).toBe(6 * a.stats.acceptedSteps!);
  });

  async function peakOf(stages: 'keep' | 'recompute') {
    const m = await measureSolve(dev, [3, 16, 3], [0, 2], { method: 'dopri5', rtol: 1e-7, atol: 1e-9, stages });
    return { peak: Math.max(m.forwardPeak, m.backwardPeak) - m.held, heldAfterForward: m.checkpoints, leaked: m.leaked, N: m.stats.acceptedSteps! };
  }

  it('holds N·m·S more bytes, exactly as the memory model says, and frees them with the backward', async () => {
    const keep = await peakOf('keep');
    const recompute = await peakOf('recompute');
    const S = 8 * 3 * 8;
    const { N } = keep;
    expect(N).toBe(recompute.N);
    expect(keep.heldAfterForward).toBe((N - 1) * S + N * 5 * S);
    expect(recompute.heldAfterForward).toBe((N - 1) * S);
    expect(keep.peak - recompute.peak).toBe(N * 5 * S);
    const fb = { S, P: 0, Vf: 0, Ge: 0, Go: 0, Xb: 0, elementBytes: 8 };
    const model = (stages: 'keep' | 'recompute') => GRADIENTS['symplectic-adjoint'].memoryModel({ tableau: getTableau('dopri5'), N, T: 2, stages }, fb);
    expect(model('keep').total - model('recompute').total).toBe(N * 5 * S);
    expect(model('keep').terms.storedStages).toBe(N * 5 * S);
    expect(keep.leaked).toBe(0);
    expect(recompute.leaked).toBe(0);
  });

  it('a solve that fails after some accepted steps frees the stored stages too', async () => {
    const { f, params, mlp } = mlpField(dev, [2, 8, 2], 5);
    const y0 = dev.tensor(randomData(6, 3), [3, 2], { requiresGrad: true });
    const base = dev.memory.stats().liveBytes;
    let calls = 0;
    const failing = (t: number, y: Parameters<typeof f>[1]) => {
      if (++calls === 40) throw new Error('f failed');
      return f(t, y);
    };
    await expect(odeint(failing, y0, [0, 3], { params, stages: 'keep', rtol: 1e-8, atol: 1e-10 })).rejects.toThrow('f failed');
    expect(calls).toBe(40);
    expect(dev.memory.stats().liveBytes).toBe(base);
    y0.dispose();
    mlp.dispose();
  });

  it('a second derivative (createGraph) is the default’s', async () => {
    const hvp = async (stages: 'keep' | 'recompute') => {
      const { f, params, mlp } = mlpField(dev, [2, 8, 2], 5);
      const y0 = dev.tensor(randomData(6, 3), [3, 2], { requiresGrad: true });
      const ys = await odeint(f, y0, [0, 1], { params, stages, rtol: 1e-6, atol: 1e-8 });
      const loss = weightedLoss(ys);
      const [gy] = await grad(loss, [y0], { createGraph: true });
      const s = gy.square().sum();
      const [h] = await grad(s, [y0]);
      const out = Float64Array.from(await h.data());
      dev.dispose(y0, ys, loss, gy, s, h);
      mlp.dispose();
      return out;
    };
    expect(await hvp('keep')).toEqual(await hvp('recompute'));
  });
});

describe.runIf(await hasWebgpu())("stages: 'keep' on webgpu", () => {
  it('gives the default’s gradient bit for bit and evaluates 6 times per dopri5 step backward', async () => {
    const gpu = (await webgpuDevice())!;
    const a = await solveGradients(gpu, 'dopri5', 'symplectic-adjoint', [0, 0.5, 1.5], { stages: 'keep', rtol: 1e-5, atol: 1e-6 });
    const b = await solveGradients(gpu, 'dopri5', 'symplectic-adjoint', [0, 0.5, 1.5], { rtol: 1e-5, atol: 1e-6 });
    expect(a.stats.acceptedSteps).toBe(b.stats.acceptedSteps);
    a.gs.forEach((g, i) => expect(g).toEqual(b.gs[i]));
    expect(a.stats.nfeBackward).toBe(b.stats.nfeBackward! - 5 * a.stats.acceptedSteps!);
  });
});
