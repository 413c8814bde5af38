/**
 * The paper's data sets as the reference code makes them (tksmatsubara/discrete-autograd,
 * experiment-ch/data.py): 100 trajectories of 500 DVDM steps on 50 points, 90/10 train/test, from NumPy's
 * legacy RandomState seeded 1 (KdV) and 0 (Cahn–Hilliard), drawn in the same order, so the initial
 * conditions are the reference's to the last bit. KdV: two solitons 2k²sech²(k(x − x_i)), k ~ U(0.5, 2),
 * x_1 ~ width·U(0.2, 0.3), x_2 − x_1 ~ width·U(0.2, 0.5), mirrored with probability 1/2; the reference also
 * draws a circular `shift` it never applies (`u0[M:]` is empty): the draw is made, the shift is not.
 * Cahn–Hilliard: u0 = (U(0, 1) − 0.5)·0.1 per point.
 */
import { cahnHilliardSystem } from './cahn-hilliard.js';
import { dvdmIntegrate, type DvdmOptions } from './dvdm.js';
import { kdvSystem } from './kdv.js';
import { NumpyRandomState } from './mt19937.js';
import type { DvdmSystem, PhysicsSystemName } from './system.js';

/** A simulated data set: trajectories u[trajectory][step][point], their u_t and energies. */
export interface PhysicsDataset {
  /** The system simulated. */
  readonly system: DvdmSystem;
  /** Time step of the data. */
  readonly dt: number;
  /** Output times 0, dt, …, steps·dt. */
  readonly t: readonly number[];
  /** Training trajectories [ntrain][steps + 1][M]. */
  readonly train: Float64Array[][];
  /** Test trajectories [ntest][steps + 1][M]. */
  readonly test: Float64Array[][];
  /** Energy of every state of `train` and `test` ([trajectory][step]). */
  readonly trainEnergy: number[][];
  /** See trainEnergy. */
  readonly testEnergy: number[][];
}

/** Sizes of a data set (defaults: the reference's). */
export interface DatasetOptions extends DvdmOptions {
  /** Trajectories; default 100. */
  trajectories?: number;
  /** Steps per trajectory; default 500. */
  steps?: number;
  /** Fraction held out for testing; default 0.1. */
  testSplit?: number;
}

const sech = (v: number) => 1 / Math.cosh(v);

/** The initial conditions the reference draws for `n` trajectories of `name`. */
export function initialConditions(name: PhysicsSystemName, n: number): Float64Array[] {
  if (name === 'cahn-hilliard') {
    const rs = new NumpyRandomState(0);
    return Array.from({ length: n }, () => Float64Array.from({ length: 50 }, () => (rs.random() - 0.5) * 0.1));
  }
  const rs = new NumpyRandomState(1);
  const M = 50;
  const width = 10;
  const a = -6;
  return Array.from({ length: n }, () => {
    const k1 = rs.uniform(0.5, 2);
    const k2 = rs.uniform(0.5, 2);
    const d1 = rs.uniform(0.2, 0.3);
    const d2 = d1 + rs.uniform(0.2, 0.5);
    const u0 = Float64Array.from({ length: M }, (_, i) => {
      const x = (width * i) / M;
      return (-6 / a) * 2 * k1 ** 2 * sech(k1 * (x - width * d1)) ** 2 + (-6 / a) * 2 * k2 ** 2 * sech(k2 * (x - width * d2)) ** 2;
    });
    rs.randint(0, M); // the reference's unused shift
    return rs.randint(0, 2) === 1 ? u0.reverse() : u0;
  });
}

/** Simulates the data set of `name` (KdV: dt 1e-3; Cahn–Hilliard: dt 1e-4). */
export function makeDataset(name: PhysicsSystemName, opts: DatasetOptions = {}): PhysicsDataset {
  const n = opts.trajectories ?? 100;
  const steps = opts.steps ?? 500;
  const split = opts.testSplit ?? 0.1;
  if (!(Number.isInteger(n) && n > 0)) throw new RangeError(`trajectories must be a positive integer, got ${n}`);
  if (!(Number.isInteger(steps) && steps > 0)) throw new RangeError(`steps must be a positive integer, got ${steps}`);
  if (!(split >= 0 && split < 1)) throw new RangeError(`testSplit must be in [0, 1), got ${split}`);
  const system = name === 'kdv' ? kdvSystem() : cahnHilliardSystem();
  const dt = name === 'kdv' ? 1e-3 : 1e-4;
  const all = initialConditions(name, n).map((u0) => dvdmIntegrate(system, u0, dt, steps, opts));
  const energies = all.map((tr) => tr.map((u) => system.energy(u)));
  // int(ndata · (1 − test_split)), as the reference computes it (float product, then truncation).
  const ntrain = Math.trunc(n * (1 - split));
  return {
    system, dt, t: Array.from({ length: steps + 1 }, (_, i) => i * dt),
    train: all.slice(0, ntrain), test: all.slice(ntrain),
    trainEnergy: energies.slice(0, ntrain), testEnergy: energies.slice(ntrain),
  };
}
