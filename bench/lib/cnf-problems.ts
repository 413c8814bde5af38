/**
 * The CNF problems of `bench:cnf`: FFJORD's toy 2-D setting and the tabular setups of FFJORD (Grathwohl et
 * al. 2019, appendix "best hyperparameters"), which the symplectic-adjoint paper (Matsubara et al. 2021,
 * Table 2) adopts: POWER (D = 6), GAS (D = 8), MiniBooNE (D = 43). The real data sets are not here: the
 * tabular problems train on seeded synthetic data of the same dimension (a random linear map of a Gaussian
 * mixture), so their NLL numbers are not comparable to the paper's; memory, time and NFE depend on the
 * shapes, which are the paper's.
 */
import { Rng, type Device } from '@sympode/tensor';
import { toyData } from '@sympode/flows';

/** One CNF benchmark problem. */
export interface CnfProblem {
  /** Short name used in tables. */
  name: string;
  /** What the name stands for (data, origin of the setup). */
  description: string;
  /** Data dimension D. */
  dim: number;
  /** Hidden widths of each block's concat-squash net. */
  hidden: number[];
  activation: 'tanh' | 'softplus';
  /** Stacked blocks M. */
  blocks: number;
  /** Batch size of the memory/time columns. */
  batch: number;
  trace: 'exact' | 'hutchinson';
  /** n seeded data points, row-major [n, D]. */
  data(n: number, seed: number): Float64Array;
}

/** Seeded synthetic data in D dimensions: 4 Gaussian clusters, mixed by a random linear map, standardised-ish. */
export function syntheticTabular(D: number, n: number, seed: number): Float64Array {
  // The map and the centres come from a fixed stream (the "data set"); the draws from `seed`.
  const fixed = new Rng(4242 + D);
  const A = Array.from({ length: D * D }, () => fixed.normal() / Math.sqrt(D));
  const centres = Array.from({ length: 4 }, () => Array.from({ length: D }, () => 1.5 * fixed.normal()));
  const rng = new Rng(seed);
  const out = new Float64Array(n * D);
  const u = new Float64Array(D);
  for (let i = 0; i < n; i++) {
    const c = centres[Math.floor(rng.uniform() * 4)]!;
    for (let k = 0; k < D; k++) u[k] = c[k]! + 0.5 * rng.normal();
    for (let r = 0; r < D; r++) {
      let s = 0;
      for (let k = 0; k < D; k++) s += A[r * D + k]! * u[k]!;
      out[i * D + r] = s;
    }
  }
  return out;
}

/**
 * The problems. `toyWidth`/`toyBatch` size the 2-D one (FFJORD: 64-64-64, batch 512; smaller in --quick).
 * Tabular (FFJORD's table): POWER tanh 3×(10·D) M = 5 batch 10000; GAS tanh 3×(20·D) M = 5 batch 1000;
 * MiniBooNE softplus 2×(20·D) M = 1 batch 1000; all with the Hutchinson trace.
 */
export function cnfProblems(toyWidth: number, toyBatch: number): CnfProblem[] {
  const tab = (name: string, D: number, act: 'tanh' | 'softplus', layers: number, mult: number, blocks: number, batch: number): CnfProblem => ({
    name, dim: D, hidden: Array.from({ length: layers }, () => mult * D), activation: act, blocks, batch, trace: 'hutchinson',
    description: `${name}-sized: D = ${D}, ${act} ${layers}×${mult * D} hidden, M = ${blocks}, batch ${batch}, synthetic data`,
    data: (n, seed) => syntheticTabular(D, n, seed),
  });
  return [
    {
      name: 'pinwheel', dim: 2, hidden: [toyWidth, toyWidth, toyWidth], activation: 'tanh', blocks: 1, batch: toyBatch, trace: 'exact',
      description: `2-D toy (FFJORD's pinwheel): tanh 3×${toyWidth} hidden, M = 1, batch ${toyBatch}, exact trace`,
      data: (n, seed) => toyData('pinwheel', n, seed),
    },
    tab('power', 6, 'tanh', 3, 10, 5, 10000),
    tab('gas', 8, 'tanh', 3, 20, 5, 1000),
    tab('miniboone', 43, 'softplus', 2, 20, 1, 1000),
  ];
}

/** `data(n, seed)` as a tensor [n, D]. */
export function problemBatch(dev: Device, p: CnfProblem, n: number, seed: number) {
  return dev.tensor(p.data(n, seed), [n, p.dim]);
}
