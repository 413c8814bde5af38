/**
 * Cahn–Hilliard, u_t = ∂x²(−a u + b u³ − γ u_xx) (a = b = 1, γ = 5·10⁻⁴ in the paper's data), discretised as
 * the reference code does: second differences, energy H = Σ (−(a/2)u² + (b/4)u⁴ + (γ/2)(u_x)²) dx.
 */
import { applyStencil, integral, matmulSquare, second, squaredGradient, stencilMatrix } from './periodic-grid.js';
import { averagedPower, averagedPowerSlope, type DvdmSystem } from './system.js';

/** Cahn–Hilliard's coefficients and grid. */
export interface CahnHilliardOptions {
  /** Grid points; default 50. */
  M?: number;
  /** Domain width; default 1. */
  width?: number;
  /** Default 1. */
  a?: number;
  /** Default 1. */
  b?: number;
  /** Interface coefficient; default 5·10⁻⁴ (the data set's; the class default in the reference is 5·10⁻³). */
  gamma?: number;
}

/** The Cahn–Hilliard system of the paper's data (defaults: the reference's `make_ch_dataset`). */
export function cahnHilliardSystem(opts: CahnHilliardOptions = {}): DvdmSystem {
  const M = opts.M ?? 50;
  const dx = (opts.width ?? 1) / M;
  const a = opts.a ?? 1;
  const b = opts.b ?? 1;
  const gamma = opts.gamma ?? 0.0005;
  const D2 = second(dx);
  const D2M = stencilMatrix(D2, M);
  const inner = (u: Float64Array, nu: Float64Array | null): Float64Array => {
    const p1 = averagedPower(u, nu, 1);
    const p3 = averagedPower(u, nu, 3);
    const d2 = applyStencil(D2, p1);
    return p1.map((v, i) => -a * v + b * p3[i] - gamma * d2[i]);
  };
  return {
    name: 'cahn-hilliard', M, dx,
    dudt: (u) => applyStencil(D2, inner(u, null)),
    discreteField: (u, nu) => applyStencil(D2, inner(u, nu)),
    discreteFieldJacobian(u, nu) {
      const slope3 = averagedPowerSlope(u, nu, 3);
      const w = new Float64Array(M * M);
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < M; j++) w[i * M + j] = -gamma * 0.5 * D2M[i * M + j];
        w[i * M + i] += -a * 0.5 + b * slope3[i];
      }
      return matmulSquare(D2M, w, M);
    },
    energy(u) {
      const g = squaredGradient(u, dx);
      return integral(u.map((v, i) => -0.5 * a * v * v + 0.25 * b * v ** 4 + 0.5 * gamma * g[i]), dx);
    },
    mass: (u) => integral(u, dx),
  };
}
