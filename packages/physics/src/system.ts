/**
 * A PDE on a periodic grid as the discrete variational derivative method (DVDM, Furihata–Matsuo) sees it:
 * the explicit field u_t = G δH/δu, the scheme's discrete field G·δH/δ(u, ν) between two time levels, whose
 * averaged powers make the scheme conserve (KdV) or dissipate (Cahn–Hilliard) the discrete energy exactly,
 * and that field's Jacobian in ν for the Newton solve.
 */
export interface DvdmSystem {
  /** The system's name ('kdv' | 'cahn-hilliard'). */
  readonly name: PhysicsSystemName;
  /** Grid points. */
  readonly M: number;
  /** Grid spacing (width / M). */
  readonly dx: number;
  /** u_t at u (the reference's `dudt(u)`, nu = None). */
  dudt(u: Float64Array): Float64Array;
  /** The scheme's right-hand side between levels u and ν (the reference's `dudt(u, nu)`). */
  discreteField(u: Float64Array, nu: Float64Array): Float64Array;
  /** ∂ discreteField / ∂ν, dense M×M row-major. */
  discreteFieldJacobian(u: Float64Array, nu: Float64Array): Float64Array;
  /** The discrete energy H(u) (the reference's `get_energy`). */
  energy(u: Float64Array): number;
  /** The mass Σ u · dx. */
  mass(u: Float64Array): number;
}

/** The physical systems of the symplectic adjoint paper. */
export type PhysicsSystemName = 'kdv' | 'cahn-hilliard';

/** Two-level averages of powers: (u+ν)/2, (u²+uν+ν²)/3, (u³+u²ν+uν²+ν³)/4 (and u^k when ν is absent). */
export function averagedPower(u: Float64Array, nu: Float64Array | null, k: 1 | 2 | 3): Float64Array {
  const out = new Float64Array(u.length);
  for (let i = 0; i < u.length; i++) {
    const a = u[i];
    if (nu === null) out[i] = a ** k;
    else {
      const b = nu[i];
      out[i] = k === 1 ? (a + b) * 0.5 : k === 2 ? (a * a + a * b + b * b) / 3 : (b * b * b + b * b * a + b * a * a + a * a * a) * 0.25;
    }
  }
  return out;
}

/** ∂/∂ν of averagedPower(u, ν, k), per point. */
export function averagedPowerSlope(u: Float64Array, nu: Float64Array, k: 1 | 2 | 3): Float64Array {
  const out = new Float64Array(u.length);
  for (let i = 0; i < u.length; i++) {
    const a = u[i];
    const b = nu[i];
    out[i] = k === 1 ? 0.5 : k === 2 ? (a + 2 * b) / 3 : (3 * b * b + 2 * b * a + a * a) * 0.25;
  }
  return out;
}
