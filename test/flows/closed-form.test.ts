/**
 * The CNF on a linear field dz/dt = Az against closed forms (cpu float64). With data at t = 0 and the base at
 * t = T: z(T) = e^{AT}x, Δ(T) = −∫tr A dt = −T·tr A, so log p(x) = log N(e^{AT}x; 0, I) + T·tr A. The
 * regularizers: ∫‖∂g/∂z‖_F² = T·‖A‖_F² (Hutchinson: T·‖εᵀA‖²), and for diagonal A the kinetic energy
 * ∫‖Az‖² dt = Σᵢ aᵢ xᵢ² (e^{2aᵢT} − 1)/2. Also: sample() then encode() returns the base points.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { createDevice, Rng, type Device, type Tensor } from '@sympode/tensor';
import { CNF, type TimeNet } from '@sympode/flows';
import { relErr } from '../helpers/reference.js';

let dev: Device;
beforeAll(async () => {
  dev = await createDevice({ backend: 'cpu' });
});

/** e^M for a small square M (row-major, n×n): scaling and squaring of a Taylor series. */
function expm(M: number[], n: number): number[] {
  const mul = (a: number[], b: number[]) => Array.from({ length: n * n }, (_, k) => {
    let s = 0;
    for (let j = 0; j < n; j++) s += a[Math.floor(k / n) * n + j] * b[j * n + (k % n)];
    return s;
  });
  const sq = 10;
  const A = M.map((v) => v / 2 ** sq);
  let term = Array.from({ length: n * n }, (_, k) => (Math.floor(k / n) === k % n ? 1 : 0));
  let sum = [...term];
  for (let k = 1; k < 20; k++) {
    term = mul(term, A).map((v) => v / k);
    sum = sum.map((v, i) => v + term[i]);
  }
  for (let i = 0; i < sq; i++) sum = mul(sum, sum);
  return sum;
}

function linearNet(A: number[]): { net: TimeNet; a: Tensor } {
  const a = dev.tensor(A, [2, 2], { requiresGrad: true });
  return { a, net: { forward: (_t, z) => z.matmul(a.transpose()), parameters: () => [a] } };
}

const data = (B: number, seed: number) => {
  const rng = new Rng(seed);
  return Float64Array.from({ length: 2 * B }, () => rng.normal());
};
const tight = { method: 'dopri5', rtol: 1e-11, atol: 1e-12 } as const;

describe('linear field: closed forms', () => {
  const A = [-0.4, 0.9, -0.3, 0.2];
  const T = 0.8;
  const B = 6;

  it('exact trace: Δ = −T·tr A to rounding; z(T) = e^{AT}x and log p(x) to the solver tolerance', async () => {
    const { net, a } = linearNet(A);
    const cnf = new CNF(dev, 2, [net], { T, trace: 'exact', solver: tight });
    const x = data(B, 1);
    const r = await dev.noGrad(() => cnf.encode(dev.tensor(x, [B, 2])));
    const E = expm(A.map((v) => v * T), 2);
    const zRef = Array.from({ length: 2 * B }, (_, k) => E[(k % 2) * 2] * x[k - (k % 2)] + E[(k % 2) * 2 + 1] * x[k - (k % 2) + 1]);
    const trA = A[0] + A[3];
    const lpRef = Array.from({ length: B }, (_, b) => -0.5 * (zRef[2 * b] ** 2 + zRef[2 * b + 1] ** 2) - Math.log(2 * Math.PI) + T * trA);
    expect(relErr(await r.deltaLogp.data(), new Array(B).fill(-T * trA))).toBeLessThan(1e-14);
    expect(relErr(await r.z.data(), zRef)).toBeLessThan(1e-9);
    expect(relErr(await r.logProb.data(), lpRef)).toBeLessThan(1e-9);
    dev.dispose(r, a);
  });

  it('regularizers: Frobenius = T·‖A‖_F² (exact) and T·‖εᵀA‖² (Hutchinson); kinetic energy for diagonal A', async () => {
    const x = data(B, 2);
    const { net, a } = linearNet(A);
    const exact = new CNF(dev, 2, [net], { T, trace: 'exact', regularizers: { kinetic: true, jacobianFrobenius: true }, solver: tight });
    const r = await dev.noGrad(() => exact.encode(dev.tensor(x, [B, 2])));
    const frob = A.reduce((s, v) => s + v * v, 0);
    expect(relErr(await r.jacobianFrobenius!.data(), new Array(B).fill(T * frob))).toBeLessThan(1e-14);
    dev.dispose(r);

    const eps = data(B, 3);
    const hut = new CNF(dev, 2, [net], { T, trace: 'hutchinson', regularizers: { jacobianFrobenius: true }, solver: tight });
    const h = await dev.noGrad(() => hut.encode(dev.tensor(x, [B, 2]), { noise: [eps] }));
    const eA = (b: number, j: number) => eps[2 * b] * A[j] + eps[2 * b + 1] * A[2 + j];
    const trRef = Array.from({ length: B }, (_, b) => -T * (eA(b, 0) * eps[2 * b] + eA(b, 1) * eps[2 * b + 1]));
    expect(relErr(await h.deltaLogp.data(), trRef)).toBeLessThan(1e-14);
    expect(relErr(await h.jacobianFrobenius!.data(), Array.from({ length: B }, (_, b) => T * (eA(b, 0) ** 2 + eA(b, 1) ** 2)))).toBeLessThan(1e-14);
    dev.dispose(h, a);

    const D = [-0.7, 0.5];
    const lin = linearNet([D[0], 0, 0, D[1]]);
    const kin = new CNF(dev, 2, [lin.net], { T, regularizers: { kinetic: true }, solver: tight });
    const k = await dev.noGrad(() => kin.encode(dev.tensor(x, [B, 2])));
    const kRef = Array.from({ length: B }, (_, b) => D.reduce((s, d, i) => s + (d * x[2 * b + i] ** 2 * (Math.exp(2 * d * T) - 1)) / 2, 0));
    expect(relErr(await k.kinetic!.data(), kRef)).toBeLessThan(1e-9);
    dev.dispose(k, lin.a);
  });
});

describe('sample then encode', () => {
  it('returns the base points (two blocks of a concat-squash CNF, tight tolerance)', async () => {
    const cnf = CNF.ffjord(dev, 2, { hidden: [8, 8], blocks: 2, seed: 4, solver: tight });
    const x = await dev.noGrad(() => cnf.sample(7, { seed: 9 }));
    const z = dev.randn([7, 2], { seed: 9 });
    const r = await dev.noGrad(() => cnf.encode(x));
    expect(relErr(await r.z.data(), await z.data())).toBeLessThan(1e-8);
    // log p(x) = log N(z) − Σ Δ, with the z the sample came from.
    const lpz = await z.square().sum(1).mul(-0.5).sub(Math.log(2 * Math.PI)).data();
    const delta = await r.deltaLogp.data();
    expect(relErr(await r.logProb.data(), Array.from(lpz, (v, i) => v - delta[i]))).toBeLessThan(1e-8);
    dev.dispose(x, z, r);
  });
});
