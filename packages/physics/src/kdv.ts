/**
 * Korteweg–de Vries, u_t = ∂x(−(a/2)u² + b u_xx) (a = −6, b = 1 in the paper's data: u_t + 6 u u_x + u_xxx = 0
 * up to sign conventions), discretised as the reference code does: central difference for ∂x, second
 * difference for u_xx, energy H = Σ (−(a/6)u³ − (b/2)·(u_x)²) dx.
 */
import { applyStencil, central, integral, matmulSquare, second, squaredGradient, stencilMatrix } from './periodic-grid.js';
import { averagedPower, averagedPowerSlope, type DvdmSystem } from './system.js';

/** KdV's coefficients and grid. */
export interface KdvOptions {
  /** Grid points; default 50. */
  M?: number;
  /** Domain width; default 10. */
  width?: number;
  /** Nonlinear coefficient; default −6. */
  a?: number;
  /** Dispersion coefficient; default 1. */
  b?: number;
}

/** The KdV system of the paper's data (defaults: the reference's `make_kdv_dataset`). */
export function kdvSystem(opts: KdvOptions = {}): DvdmSystem {
  const M = opts.M ?? 50;
  const dx = (opts.width ?? 10) / M;
  const a = opts.a ?? -6;
  const b = opts.b ?? 1;
  const Dc = central(dx);
  const D2 = second(dx);
  const DcM = stencilMatrix(Dc, M);
  const D2M = stencilMatrix(D2, M);
  const inner = (u: Float64Array, nu: Float64Array | null): Float64Array => {
    const p2 = averagedPower(u, nu, 2);
    const d2 = applyStencil(D2, averagedPower(u, nu, 1));
    return p2.map((v, i) => (-a / 2) * v + b * d2[i]);
  };
  return {
    name: 'kdv', M, dx,
    dudt: (u) => applyStencil(Dc, inner(u, null)),
    discreteField: (u, nu) => applyStencil(Dc, inner(u, nu)),
    discreteFieldJacobian(u, nu) {
      // ∂inner/∂ν = diag(−(a/2)·∂p2) + b·D2·(1/2); the field's Jacobian is Dc times that.
      const slope = averagedPowerSlope(u, nu, 2);
      const w = new Float64Array(M * M);
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < M; j++) w[i * M + j] = b * 0.5 * D2M[i * M + j];
        w[i * M + i] += (-a / 2) * slope[i];
      }
      return matmulSquare(DcM, w, M);
    },
    energy(u) {
      const g = squaredGradient(u, dx);
      return integral(u.map((v, i) => (-a / 6) * v * v * v - (b / 2) * g[i]), dx);
    },
    mass: (u) => integral(u, dx),
  };
}
