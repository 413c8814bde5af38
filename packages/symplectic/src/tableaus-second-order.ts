/**
 * The low-order tableaus torchdiffeq and diffrax ship besides ours (issue 26 #7), as plain data; tableaus.ts
 * freezes them into the registry. Each one's symplectic partner is the generic one (gradients/partner rules
 * handle b_i = 0, as heun3's middle stage has).
 */
import type { Tableau } from './tableaus.js';

/** Heun's second-order method (explicit trapezoid; torchdiffeq `fixed_grid.py` Heun2), fixed step. */
export const HEUN2: Tableau = {
  name: 'heun2',
  a: [[], [1]],
  b: [1 / 2, 1 / 2],
  c: [0, 1],
  order: 2,
  fsal: false,
  adaptive: false,
};

/** Heun's third-order method (torchdiffeq `fixed_grid.py` Heun3: α = [1/3, 2/3], c_sol = [1/4, 0, 3/4]), fixed step. */
export const HEUN3: Tableau = {
  name: 'heun3',
  a: [[], [1 / 3], [0, 2 / 3]],
  b: [1 / 4, 0, 3 / 4],
  c: [0, 1 / 3, 2 / 3],
  order: 3,
  fsal: false,
  adaptive: false,
};

/**
 * Ralston's second-order method, the one of minimal error bound (c_2 = 2/3), with diffrax's embedded Euler
 * for step-size control: b̂ = [1, 0], so e = b − b̂ = [−3/4, 3/4]; controller order 2 (as adaptive_heun).
 */
export const RALSTON: Tableau = {
  name: 'ralston',
  a: [[], [2 / 3]],
  b: [1 / 4, 3 / 4],
  c: [0, 2 / 3],
  e: [-3 / 4, 3 / 4],
  order: 2,
  fsal: false,
  adaptive: true,
};
