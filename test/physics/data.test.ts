// The physics data sets against the reference code (tksmatsubara/discrete-autograd's data.py, run with NumPy
// and scipy by test/fixtures/physics-reference.py), and the invariants the DVDM scheme must keep.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cahnHilliardSystem, dvdmIntegrate, initialConditions, kdvSystem, makeDataset, NumpyRandomState, type DvdmSystem } from '@sympode/physics';

interface RefSystem { u0: number[][]; trajectory: number[][]; energy: number[]; dudt0: number[] }
const ref = JSON.parse(readFileSync(new URL('../fixtures/physics-reference.json', import.meta.url), 'utf8')) as {
  kdv: RefSystem; cahnHilliard: RefSystem; mt19937: { seed: number; uint32: number[]; random: number[]; randint50: number[] };
};

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const maxOf = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

describe("NumPy's legacy RandomState", () => {
  it('gives the same words, doubles and randint draws as NumPy', () => {
    const m = ref.mt19937;
    const a = new NumpyRandomState(m.seed);
    expect(m.uint32.map(() => a.nextUint32())).toEqual(m.uint32);
    const b = new NumpyRandomState(m.seed);
    expect(m.random.map(() => b.random())).toEqual(m.random);
    const c = new NumpyRandomState(m.seed);
    expect(m.randint50.map(() => c.randint(0, 50))).toEqual(m.randint50);
  });
});

describe.each([
  ['kdv', ref.kdv, kdvSystem(), 1e-3],
  ['cahn-hilliard', ref.cahnHilliard, cahnHilliardSystem(), 1e-4],
] as const)('%s', (name, r, sys, dt) => {
  it("draws the reference's initial conditions (the same random draws; KdV's sech within an ulp of libm's)", () => {
    const u0 = initialConditions(name, 3);
    // Cahn–Hilliard's are arithmetic on the draws: bit for bit. KdV's pass through cosh, where V8's and
    // glibc's may differ in the last bit.
    if (name === 'cahn-hilliard') u0.forEach((u, i) => expect(Array.from(u)).toEqual(r.u0[i]));
    else u0.forEach((u, i) => u.forEach((v, j) => expect(Math.abs(v - r.u0[i][j])).toBeLessThanOrEqual(4 * Number.EPSILON * Math.abs(r.u0[i][j]))));
  });

  it("has the reference's explicit field", () => {
    const f = sys.dudt(Float64Array.from(r.u0[0]));
    expect(maxAbs(f, r.dudt0)).toBeLessThanOrEqual(1e-12 * maxOf(r.dudt0));
  });

  it("follows the reference's trajectory (fsolve, xtol 1e-10) for 20 steps", () => {
    const tr = dvdmIntegrate(sys, Float64Array.from(r.u0[0]), dt, 20);
    const scale = maxOf(r.trajectory[0]);
    // fsolve (xtol 1e-10) and Newton (to rounding) land on the same root: measured 2–3e-16 apart.
    tr.forEach((u, n) => expect(maxAbs(u, r.trajectory[n])).toBeLessThanOrEqual(1e-12 * scale));
    tr.forEach((u, n) => expect(Math.abs(sys.energy(u) - r.energy[n])).toBeLessThanOrEqual(1e-12 * Math.abs(r.energy[0]) + 1e-16));
  });
});

function invariants(sys: DvdmSystem, u0: Float64Array, dt: number, steps: number) {
  const tr = dvdmIntegrate(sys, u0, dt, steps);
  return { mass: tr.map((u) => sys.mass(u)), energy: tr.map((u) => sys.energy(u)) };
}

describe('what the scheme conserves', () => {
  it('KdV: mass and energy to rounding over 500 steps', () => {
    const [u0] = initialConditions('kdv', 1);
    const { mass, energy } = invariants(kdvSystem(), u0, 1e-3, 500);
    const drift = (v: number[]) => Math.max(...v.map((x) => Math.abs(x - v[0]))) / Math.abs(v[0]);
    expect(drift(mass)).toBeLessThan(1e-12);
    expect(drift(energy)).toBeLessThan(1e-11);
  });

  it('Cahn–Hilliard: mass to rounding, energy never increasing', () => {
    const [u0] = initialConditions('cahn-hilliard', 1);
    const { mass, energy } = invariants(cahnHilliardSystem(), u0, 1e-4, 500);
    const mscale = Math.max(...u0.map(Math.abs)); // the mean is near 0: measure against the state's size
    expect(Math.max(...mass.map((m) => Math.abs(m - mass[0])))).toBeLessThan(1e-14 * mscale * 50);
    for (let n = 1; n < energy.length; n++) expect(energy[n]).toBeLessThanOrEqual(energy[n - 1] + 1e-15 * Math.abs(energy[0]));
    expect(energy.at(-1)!).toBeLessThan(energy[0]);
  });

  it('the explicit-Euler step, for contrast, does not conserve KdV energy', () => {
    const sys = kdvSystem();
    const [u0] = initialConditions('kdv', 1);
    let u = Float64Array.from(u0);
    for (let n = 0; n < 50; n++) {
      const f = sys.dudt(u);
      u = u.map((v, i) => v + 1e-3 * f[i]);
    }
    expect(Math.abs(sys.energy(u) - sys.energy(u0)) / Math.abs(sys.energy(u0))).toBeGreaterThan(1e-6);
  });
});

describe('makeDataset', () => {
  it('splits 90/10 like the reference and records energies', () => {
    const d = makeDataset('kdv', { trajectories: 10, steps: 5 });
    expect(d.train).toHaveLength(9);
    expect(d.test).toHaveLength(1);
    expect(d.train[0]).toHaveLength(6);
    expect(d.t).toEqual([0, 1e-3, 2e-3, 3e-3, 4e-3, 5e-3].map((v, i) => i * 1e-3));
    expect(d.trainEnergy[0][0]).toBe(d.system.energy(d.train[0][0]));
    expect(() => makeDataset('kdv', { steps: 0 })).toThrow(RangeError);
  });
});
