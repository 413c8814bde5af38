// The energy model of the physics experiments: HNN++ against a plain float64 loop, ∇H and its parameter
// gradients against central differences, and every exact gradient method through odeint equal to backprop
// (∇H is taken inside f, so the methods differentiate a gradient: second derivatives of the network).
import { describe, expect, it } from 'vitest';
import { createDevice, grad, noGrad, type Device, type Tensor } from '@sympode/tensor';
import { odeint, type GradientMethodName } from '@sympode/symplectic';
import { EnergyNet, energyField, initialConditions, kdvSystem, cahnHilliardSystem } from '@sympode/physics';

const relErr = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) { num = Math.max(num, Math.abs(a[i] - b[i])); den = Math.max(den, Math.abs(b[i])); }
  return num / den;
};

/** H(u) by loops: the reference's conv stack written out (periodic pad, kernel 3 then 1 then 1, sum). */
async function energyByLoops(net: EnergyNet, u: number[]): Promise<number> {
  const [w1, b1, w2, b2, w3] = await Promise.all([net.w1, net.b1, net.w2, net.b2, net.w3].map((p) => p.data()));
  const c = net.b1.size, m = u.length;
  let h = 0;
  for (let i = 0; i < m; i++) {
    const nb = [u[(i + m - 1) % m], u[i], u[(i + 1) % m]];
    const a1 = Array.from({ length: c }, (_, o) => Math.tanh(b1[o] + w1[o * 3] * nb[0] + w1[o * 3 + 1] * nb[1] + w1[o * 3 + 2] * nb[2]));
    const a2 = Array.from({ length: c }, (_, o) => Math.tanh(b2[o] + a1.reduce((s, v, k) => s + w2[o * c + k] * v, 0)));
    h += a2.reduce((s, v, k) => s + w3[k] * v, 0);
  }
  return h;
}

async function withDevice<T>(fn: (dev: Device) => Promise<T>): Promise<T> {
  const dev = await createDevice({ backend: 'cpu', dtype: 'float64' });
  try { return await fn(dev); } finally { dev.destroy(); }
}

describe('EnergyNet (HNN++)', () => {
  it('computes the reference architecture (checked by loops in float64)', () => withDevice(async (dev) => {
    const net = new EnergyNet(dev, { hidden: 6, seed: 3 });
    const u0 = Array.from(initialConditions('kdv', 2)[1]);
    const u = dev.tensor(u0, [1, 50]);
    const h = await net.forward(u).item();
    expect(Math.abs(h - (await energyByLoops(net, u0)))).toBeLessThanOrEqual(1e-12 * Math.abs(h));
  }));

  it('has orthonormal init (WᵀW = I for the square layer)', () => withDevice(async (dev) => {
    const net = new EnergyNet(dev, { hidden: 5, seed: 1 });
    const wtw = await net.w2.transpose().matmul(net.w2).data();
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) expect(wtw[i * 5 + j]).toBeCloseTo(i === j ? 1 : 0, 12);
  }));

  it('∇H and ∂H/∂θ match central differences', () => withDevice(async (dev) => {
    const net = new EnergyNet(dev, { hidden: 4, seed: 2 });
    const base = Array.from(initialConditions('cahn-hilliard', 1)[0]);
    const u = dev.tensor(base, [1, 50], { requiresGrad: true });
    const h = net.forward(u);
    const [gu, gw1] = await grad(h, [u, net.w1]);
    const eps = 1e-6;
    const H = async (v: number[]) => noGrad(() => net.forward(dev.tensor(v, [1, 50]))).item();
    const fdU = await Promise.all([0, 7, 49].map(async (i) => {
      const p = [...base]; p[i] += eps; const q = [...base]; q[i] -= eps;
      return ((await H(p)) - (await H(q))) / (2 * eps);
    }));
    const gud = await gu.data();
    [0, 7, 49].forEach((i, k) => expect(Math.abs(gud[i] - fdU[k])).toBeLessThanOrEqual(1e-7 * Math.max(1, Math.abs(fdU[k]))));
    const w = await net.w1.data();
    const gwd = await gw1.data();
    for (const idx of [0, 5, 10]) {
      const plus = Float64Array.from(w); plus[idx] += eps;
      const minus = Float64Array.from(w); minus[idx] -= eps;
      net.loadStateDict({ ...(await net.stateDict()), 'conv1.weight': { shape: [4, 3], data: Array.from(plus) } });
      const hp = await H(base);
      net.loadStateDict({ ...(await net.stateDict()), 'conv1.weight': { shape: [4, 3], data: Array.from(minus) } });
      const hm = await H(base);
      net.loadStateDict({ ...(await net.stateDict()), 'conv1.weight': { shape: [4, 3], data: Array.from(w) } });
      expect(Math.abs(gwd[idx] - (hp - hm) / (2 * eps))).toBeLessThanOrEqual(1e-7 * Math.max(1, Math.abs(gwd[idx])));
    }
  }));
});

const EXACT: GradientMethodName[] = ['symplectic-adjoint', 'checkpoint', 'recompute'];

describe.each([
  ['kdv', kdvSystem().dx, 1e-3],
  ['cahn-hilliard', cahnHilliardSystem().dx, 1e-4],
] as const)('odeint through G∇H_θ (%s)', (system, dx, dt) => {
  async function lossGrads(dev: Device, gradient: GradientMethodName, output: 'energy' | 'field' = 'energy') {
    const net = new EnergyNet(dev, { hidden: 4, seed: 5, output });
    const u0 = dev.tensor(initialConditions(system, 2).flatMap((u) => Array.from(u)), [2, 50]);
    const f = energyField(net, system, dx);
    const ys = await odeint(f, u0, [0, 4 * dt], { method: 'rk4', stepSize: dt, params: net, gradient });
    const sq = ys.square();
    const loss = sq.mean();
    const gs = await grad(loss, net.parameters());
    const out = { loss: await loss.item(), grads: await Promise.all(gs.map((g) => g.data())) };
    dev.dispose(ys, sq, loss, gs, u0);
    net.dispose();
    return out;
  }

  it('every exact method equals backprop ≤ 1e-12 (float64), for HNN++ and the neural-ODE baseline', () => withDevice(async (dev) => {
    for (const output of ['energy', 'field'] as const) {
      const ref = await lossGrads(dev, 'backprop', output);
      for (const m of EXACT) {
        const got = await lossGrads(dev, m, output);
        expect(got.loss).toBe(ref.loss);
        got.grads.forEach((g, i) => expect(relErr(g, ref.grads[i])).toBeLessThanOrEqual(1e-12));
      }
    }
    expect(dev.memory.stats().liveBytes).toBe(0);
  }));
});
