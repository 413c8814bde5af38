/**
 * The energy-based vector field du/dt = G ∇H_θ(u) of the paper's physics experiments: ∇H from autograd
 * *inside* f (graph-free in the solver's graph-free passes, recorded and differentiable again under backprop
 * and in the adjoint methods' VJPs, like the CNF's trace: see `valueAndVjps`), G a fixed difference operator,
 * the central difference ∂x for KdV and the second difference ∂x² for Cahn–Hilliard (the reference's
 * `alpha` 1 and 2). The neural-ODE baseline's field is the network's output itself.
 */
import type { Tensor } from '@sympode/tensor';
import type { OdeFunc } from '@sympode/symplectic';
import { valueAndVjps } from '@sympode/flows';
import type { EnergyNet } from './energy-net.js';
import { central, second } from './periodic-grid.js';
import { stencil } from './periodic-tensor.js';
import type { PhysicsSystemName } from './system.js';

/** The field of `net` for `system` on a grid of spacing dx: G∇H ('energy' nets) or the net's output ('field' nets). */
export function energyField(net: EnergyNet, system: PhysicsSystemName, dx: number): OdeFunc {
  if (net.output === 'field') return (_t: number, u: Tensor) => net.forward(u);
  const g = system === 'kdv' ? central(dx) : second(dx);
  return async (_t: number, u: Tensor) => {
    const dev = u.device;
    const ones = dev.ones([u.shape[0]]);
    const { value, vjps } = await valueAndVjps((z) => net.forward(z), u, [ones]);
    const out = stencil(vjps[0], g);
    dev.dispose(ones, value, vjps);
    return out;
  };
}
