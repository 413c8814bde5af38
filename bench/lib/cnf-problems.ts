/**
 * The CNF problems of `bench:cnf`: FFJORD's toy 2-D setting and FFJORD's tabular setups (Grathwohl et al.
 * 2019), which the symplectic-adjoint paper (Matsubara et al. 2021, Table 2) adopts: POWER (D = 6), GAS
 * (D = 8), MiniBooNE (D = 43). The real data sets are not here: the tabular problems train on seeded
 * synthetic data of the same dimension (a random linear map of a Gaussian mixture), so their NLL numbers are
 * not comparable to the paper's; memory, time and NFE depend on the shapes, which are the paper's.
 *
 * Sources, read in the code:
 * - github.com/rtqichen/ffjord @ 994864ad0517db3549717c25170f9b71e96788b1:
 *   README.md:24 gives MiniBooNE's command: `--nhidden 2 --hdim_factor 20 --num_blocks 1 --nonlinearity
 *   softplus --batch_size 1000 --lr 1e-3`; hidden widths are hdim_factor·D repeated nhidden times
 *   (train_tabular.py:166). Defaults the command keeps (train_tabular.py): layer_type concatsquash (:24),
 *   time_length 1.0 with train_T True, i.e. a learned end time starting at 1 (:30-31), Hutchinson trace
 *   (divergence_fn approximate, :32) with Gaussian noise (rademacher False, :45; lib/layers/odefunc.py:293-296),
 *   dopri5 (:35) at atol 1e-8, rtol 1e-6 (:36-37), residual off (:44), batch norm off (:46; train_misc.py:189),
 *   test batch = batch (:81) with the exact trace at test time (:295), Adam lr 1e-3 (:52), early stopping 30
 *   validations with lr/10 decays (:49, :101-113); weight_decay 1e-6 (:53) is passed to
 *   lib/custom_optimizers.py, whose decay line (:103) uses the out-of-place `p.data.add(...)`, so it has no effect.
 * - POWER and GAS are not in FFJORD's repository. Their settings come from the FFJORD-baseline block ("# FFJORD")
 *   of github.com/hanhsienhuang/CNF-TPR run_tabular.sh:1-10 @ cb19070b5be066c7ccc8fa87644f8021f1a0a5f3 (a
 *   fork of FFJORD's train_tabular.py; FFJORD's appendix table of best hyperparameters was not re-read):
 *   POWER tanh, nhidden 3, hdim_factor 10, num_blocks 5, batch 10000 (test batch 10000); GAS tanh, nhidden 3,
 *   hdim_factor 20, num_blocks 5, batch 1000 (test batch 10000); its MiniBooNE line agrees with FFJORD's README.
 * - The symplectic-adjoint authors' code (github.com/tksmatsubara/symplectic-adjoint-method, master @
 *   254832cbe2d7601e976119855b732d7a3e4b4f65, beta @ d40652c37a37cf2748af2603d58c2265aff6945f) is the
 *   solver library only: no CNF scripts or configs to compare; the paper's text is the only source of theirs.
 * Taken here: architecture, M, batch, Hutchinson trace with Gaussian noise, T = 1 per block, atol 1e-8 /
 * rtol 1e-6 (bench:cnf's `--tol` overrides both for every problem). Not expressible and left out: the
 * learned end time (T stays 1). Nothing else differs from FFJORD's
 * defaults (batch norm and residual are off there too); training schedule (early stopping, lr decay) does not
 * apply to a few measured iterations.
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
  /** Distribution of the Hutchinson noise (FFJORD's default: Gaussian). */
  noise: 'gaussian' | 'rademacher';
  /** Integration length of each block (FFJORD's `--time_length`: 0.5 toy, 1.0 tabular). */
  T: number;
  /** Solver tolerances (FFJORD's: toy rtol = atol = 1e-5; tabular rtol 1e-6, atol 1e-8). */
  rtol: number;
  atol: number;
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
 * The problems. `toyWidth`/`toyBatch` size the 2-D one (FFJORD's train_toy.py: `--dims 64-64-64`, tanh,
 * time_length 0.5, exact trace; its default batch is 100, this benchmark's 512; smaller in --quick).
 * Tabular (sources in the header): POWER tanh 3×(10·D) M = 5 batch 10000; GAS tanh 3×(20·D) M = 5 batch 1000;
 * MiniBooNE softplus 2×(20·D) M = 1 batch 1000; all with the Hutchinson trace, Gaussian noise, T = 1, and
 * train_tabular.py's rtol 1e-6, atol 1e-8.
 */
export function cnfProblems(toyWidth: number, toyBatch: number): CnfProblem[] {
  const tab = (name: string, D: number, act: 'tanh' | 'softplus', layers: number, mult: number, blocks: number, batch: number): CnfProblem => ({
    name, dim: D, hidden: Array.from({ length: layers }, () => mult * D), activation: act, blocks, batch, trace: 'hutchinson', noise: 'gaussian', T: 1, rtol: 1e-6, atol: 1e-8,
    description: `${name}-sized: D = ${D}, ${act} ${layers}×${mult * D} hidden, M = ${blocks}, batch ${batch}, T = 1, Hutchinson (Gaussian noise), rtol 1e-6, atol 1e-8, synthetic data`,
    data: (n, seed) => syntheticTabular(D, n, seed),
  });
  return [
    {
      name: 'pinwheel', dim: 2, hidden: [toyWidth, toyWidth, toyWidth], activation: 'tanh', blocks: 1, batch: toyBatch, trace: 'exact', noise: 'gaussian', T: 0.5, rtol: 1e-5, atol: 1e-5,
      description: `2-D toy (FFJORD's pinwheel): tanh 3×${toyWidth} hidden, M = 1, batch ${toyBatch}, T = 0.5, exact trace, rtol = atol = 1e-5`,
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
