/**
 * Finite differences on a periodic 1-D grid of M points (Float64Array), as the reference code's conv1d
 * kernels compute them after a periodic pad: the central difference [−1, 0, 1]/(2dx), the second difference
 * [1, −2, 1]/dx², and the squared-gradient average (forward² + backward²)/2 of the energies.
 */

/** A three-point periodic stencil w₋·u[i−1] + w₀·u[i] + w₊·u[i+1]. */
export type Stencil = readonly [number, number, number];

/** The central difference's stencil. */
export const central = (dx: number): Stencil => [-1 / (2 * dx), 0, 1 / (2 * dx)];
/** The second difference's stencil. */
export const second = (dx: number): Stencil => [1 / (dx * dx), -2 / (dx * dx), 1 / (dx * dx)];

/** The stencil applied to u, periodic. */
export function applyStencil(s: Stencil, u: Float64Array): Float64Array {
  const m = u.length;
  const out = new Float64Array(m);
  for (let i = 0; i < m; i++) out[i] = s[0] * u[(i + m - 1) % m] + s[1] * u[i] + s[2] * u[(i + 1) % m];
  return out;
}

/** The stencil as a dense M×M matrix (row-major). */
export function stencilMatrix(s: Stencil, m: number): Float64Array {
  const a = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    a[i * m + ((i + m - 1) % m)] += s[0];
    a[i * m + i] += s[1];
    a[i * m + ((i + 1) % m)] += s[2];
  }
  return a;
}

/** (forward difference² + backward difference²)/2 per point: the reference's `_Dx2`. */
export function squaredGradient(u: Float64Array, dx: number): Float64Array {
  const m = u.length;
  const out = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const f = (u[(i + 1) % m] - u[i]) / dx;
    const b = (u[i] - u[(i + m - 1) % m]) / dx;
    out[i] = (f * f + b * b) / 2;
  }
  return out;
}

/** Σ_i v[i] · dx: the grid's integral. */
export function integral(v: Float64Array, dx: number): number {
  let s = 0;
  for (const x of v) s += x;
  return s * dx;
}

/** C = A·B for dense square M×M matrices (row-major). */
export function matmulSquare(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const c = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const x = a[i * m + k];
      if (x === 0) continue;
      for (let j = 0; j < m; j++) c[i * m + j] += x * b[k * m + j];
    }
  }
  return c;
}
