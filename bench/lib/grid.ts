/**
 * The benchmark grid: which problems, sizes, tableaus and tolerances each mode measures ('quick' for the
 * smoke test, 'default', 'gpu').
 */
import { GRADIENT_METHODS, type GradientMethodName, type TableauName } from '@sympode/symplectic';
import type { MlpOdeSpec } from './problems.js';

/** Which grid to run: the smallest (seconds), the full cpu/lavapipe one, or larger sizes for a real GPU. */
export type BenchMode = 'quick' | 'default' | 'gpu';

/** The gradient methods in the order the report lists (and colours) them. */
/** Every registered gradient method (from the registry, so a new method gets its rows). */
export const ALL_GRADIENTS: readonly GradientMethodName[] = GRADIENT_METHODS;

/** Sizes and settings of every section of one run. */
export interface Grid {
  base: MlpOdeSpec;
  gradients: GradientMethodName[];
  /** rk4 fixed-step counts of the N sweep. */
  nSweep: number[];
  /** Hidden-layer counts of the L sweep, at N = lSweepN. */
  lSweep: number[];
  lSweepN: number;
  /** Accepted steps the dopri5 point is calibrated to. */
  targetSteps: number;
  /** Angular frequency of the rotation added to the field at the adaptive points (see problems.ts). */
  omega: number;
  rtol: number;
  atol: number;
  /** Continuous adjoint tolerances swept at the dopri5 point (atol scales with them). */
  adjointRtols: number[];
  /** Tableaus of the tableau sweep. */
  tableaus: TableauName[];
  repeats: number;
  spiralIters: number;
  /** rk4 steps of the memory timeline traces. */
  traceSteps: number;
  /** Largest B·W for which the float64 cpu reference gradient is computed (it is slow for big problems). */
  referenceLimit: number;
  /** 'gpu' mode: [m, k, n] shapes of the matmul throughput section. */
  matmulShapes: [number, number, number][];
}

/** The grid of `mode`. */
export function gridFor(mode: BenchMode): Grid {
  if (mode === 'quick') {
    return {
      base: { D: 2, W: 8, L: 1, B: 4 }, gradients: [...ALL_GRADIENTS],
      nSweep: [4, 8], lSweep: [1, 2], lSweepN: 4, targetSteps: 8, omega: 2 * Math.PI, rtol: 1e-5, atol: 1e-6,
      adjointRtols: [1e-4, 1e-6], tableaus: ['bosh3'], repeats: 1, spiralIters: 1, traceSteps: 2, referenceLimit: Infinity,
      matmulShapes: [[16, 32, 32]],
    };
  }
  if (mode === 'gpu') {
    return {
      base: { D: 16, W: 512, L: 3, B: 1024 }, gradients: [...ALL_GRADIENTS],
      nSweep: [10, 20, 40], lSweep: [1, 2, 3, 4], lSweepN: 10, targetSteps: 100, omega: 2 * Math.PI, rtol: 1e-5, atol: 1e-6,
      adjointRtols: [1e-4, 1e-5, 1e-6, 1e-7], tableaus: ['adaptive_heun', 'bosh3', 'dopri5', 'dopri8'], repeats: 3,
      spiralIters: 5, traceSteps: 3, referenceLimit: 64 * 256,
      matmulShapes: [[1024, 256, 256], [1024, 512, 512], [1024, 1024, 1024], [2048, 2048, 2048], [4096, 4096, 4096]],
    };
  }
  return {
    base: { D: 4, W: 64, L: 3, B: 32 }, gradients: [...ALL_GRADIENTS],
    nSweep: [10, 20, 40, 80], lSweep: [1, 2, 3, 4, 6], lSweepN: 20, targetSteps: 100, omega: 2 * Math.PI, rtol: 1e-5, atol: 1e-6,
    adjointRtols: [1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8], tableaus: ['adaptive_heun', 'bosh3', 'dopri5', 'dopri8'], repeats: 3,
    spiralIters: 3, traceSteps: 4, referenceLimit: Infinity,
    matmulShapes: [[32, 64, 64], [256, 256, 256]],
  };
}
