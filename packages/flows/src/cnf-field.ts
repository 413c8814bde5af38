/**
 * The CNF vector field over the augmented state s = [z, Δ, (E), (F)] of shape [B, D + 1 + R]:
 *   dz/dt = g(t, z),   dΔ/dt = −tr(∂g/∂z)     (FFJORD's convention: log p(x) = log p_T(z(T)) − Δ(T)),
 * and, for the RNODE regularizers (Finlay et al. 2020), dE/dt = ‖g‖² (kinetic energy) and
 * dF/dt = ‖∂g/∂z‖_F² (Jacobian Frobenius norm), per sample. The trace and the Frobenius norm come from VJPs
 * of g taken inside f (inner-vjp.ts):
 * - 'exact': D VJPs with the unit vectors eᵢ; tr = Σᵢ (eᵢᵀJ)ᵢ and ‖J‖_F² = Σᵢ ‖eᵢᵀJ‖² (for small D);
 * - 'hutchinson': one VJP with a noise ε drawn once per solve and held fixed across t (FFJORD):
 *   tr ≈ εᵀJε, ‖J‖_F² ≈ ‖εᵀJ‖² (unbiased for Rademacher or Gaussian ε).
 * The extra columns do not feed back into z, so their values are exact integrals of the discrete solve.
 */
import { concat, InvalidArgumentError, ShapeError, type Device, type Tensor } from '@sympode/tensor';
import type { OdeFunc } from '@sympode/symplectic';
import type { TimeNet } from './concat-squash.js';
import { valueAndVjps } from './inner-vjp.js';

/** How the divergence tr(∂g/∂z) is computed: D VJPs ('exact') or Hutchinson's estimator with one VJP. */
export type TraceEstimator = 'exact' | 'hutchinson';

/** Which RNODE regularizers to integrate as extra state columns (after Δ, in this order). */
export interface Regularizers {
  /** ∫‖g(t, z)‖² dt per sample (kinetic energy). */
  kinetic?: boolean;
  /** ∫‖∂g/∂z‖_F² dt per sample (Jacobian Frobenius norm; Hutchinson-estimated with that trace). */
  jacobianFrobenius?: boolean;
}

/** Options of {@link cnfField}. */
export interface CnfFieldOptions {
  /** Data dimension D. */
  dim: number;
  /** Divergence computation; default 'exact'. */
  trace?: TraceEstimator;
  /**
   * The Hutchinson noise ε ([B, D], row-major), the same values at every evaluation of one solve. Required with
   * 'hutchinson'. It is kept on the host and uploaded per evaluation, so nothing device-side outlives a step.
   */
  noise?: ArrayLike<number>;
  /** Regularizer columns to integrate. */
  regularizers?: Regularizers;
}

/** Column layout of the augmented state. */
export interface AugmentedLayout {
  /** Data dimension D (columns 0..D−1 hold z). */
  dim: number;
  /** Column of Δ (= D). */
  delta: number;
  /** Column of the kinetic energy, or −1. */
  kinetic: number;
  /** Column of the Jacobian Frobenius norm, or −1. */
  jacobian: number;
  /** Total columns. */
  width: number;
}

/** The augmented state's columns for D and the chosen regularizers. */
export function augmentedLayout(dim: number, reg: Regularizers = {}): AugmentedLayout {
  let width = dim + 1;
  const kinetic = reg.kinetic ? width++ : -1;
  const jacobian = reg.jacobianFrobenius ? width++ : -1;
  return { dim, delta: dim, kinetic, jacobian, width };
}

/** Unit cotangents e₀..e_{D−1} broadcast over the batch ([B, D] each). */
function unitCotangents(dev: Device, B: number, D: number): Tensor[] {
  return Array.from({ length: D }, (_, i) => {
    const v = new Float64Array(B * D);
    for (let b = 0; b < B; b++) v[b * D + i] = 1;
    return dev.tensor(v, [B, D]);
  });
}

/**
 * The CNF vector field over the augmented state (module comment), for odeint. g must map [B, D] to [B, D].
 * The returned f builds g's graph and its VJPs at every evaluation and, outside a recorded solve, frees them
 * before returning.
 */
export function cnfField(net: TimeNet, opts: CnfFieldOptions): OdeFunc {
  const D = opts.dim;
  const trace = opts.trace ?? 'exact';
  if (trace !== 'exact' && trace !== 'hutchinson') throw new InvalidArgumentError(`trace must be 'exact' or 'hutchinson', got '${String(trace)}'`);
  if (trace === 'hutchinson' && !opts.noise) throw new InvalidArgumentError("trace 'hutchinson' needs the noise ε (options.noise)");
  const layout = augmentedLayout(D, opts.regularizers);
  return async (t: number, s: Tensor): Promise<Tensor> => {
    const dev = s.device;
    if (s.rank !== 2 || s.shape[1] !== layout.width) {
      throw new ShapeError(`the CNF state must be [B, ${layout.width}] (z, Δ${layout.kinetic >= 0 ? ', E' : ''}${layout.jacobian >= 0 ? ', F' : ''}), got [${s.shape.join(', ')}]`);
    }
    const B = s.shape[0];
    let eps: Tensor | null = null;
    if (trace === 'hutchinson') {
      if (opts.noise!.length !== B * D) throw new ShapeError(`the noise ε has ${opts.noise!.length} values; the batch needs ${B}×${D}`);
      eps = dev.tensor(opts.noise!, [B, D]);
    }
    const cots = eps ? [eps] : unitCotangents(dev, B, D);
    const z = s.narrow(1, 0, D);
    const { value: dz, vjps } = await valueAndVjps((x) => net.forward(t, x), z, cots);
    const cols: Tensor[] = [dz];
    const rowSum = (x: Tensor) => x.sum(1, true);
    // −tr(∂g/∂z): Σᵢ (eᵢᵀJ)ᵢ exactly, or εᵀJε.
    const tr = eps ? rowSum(vjps[0].mul(eps)) : vjps.map((v, i) => v.narrow(1, i, 1)).reduce((a, b) => a.add(b));
    cols.push(tr.neg());
    if (layout.kinetic >= 0) cols.push(rowSum(dz.square()));
    if (layout.jacobian >= 0) cols.push(vjps.map((v) => rowSum(v.square())).reduce((a, b) => a.add(b)));
    return concat(cols, 1);
  };
}
