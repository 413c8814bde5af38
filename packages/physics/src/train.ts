/**
 * Training an energy model on a simulated data set: each iteration draws `batch` windows (a trajectory and a
 * start step, seeded), solves the learned field from the window's first state over `horizon` data steps with
 * `odeint` and the chosen gradient method, and takes one Adam step on the mean squared error to the data at
 * every step of the window. `horizon` 1 is the reference's pairs (u_n, u_{n+1}).
 */
import { InvalidArgumentError, optim, Rng, type Device, type Tensor } from '@sympode/tensor';
import { odeint, type GradientMethodName, type OdeintOptions, type OdeintStats } from '@sympode/symplectic';
import type { PhysicsDataset } from './datasets.js';
import { energyField } from './energy-field.js';
import type { EnergyNet } from './energy-net.js';

/** How {@link trainEnergyModel} trains. */
export interface PhysicsTrainOptions {
  /** Gradient method; default 'symplectic-adjoint'. */
  gradient?: GradientMethodName;
  /** Tableau and its options (method, rtol/atol or stepSize, stages, checkpoints); default dopri5, rtol 1e-6, atol 1e-8. */
  solver?: Omit<OdeintOptions, 'gradient' | 'params' | 'stats'>;
  /** Adam iterations; default 100. */
  iterations?: number;
  /** Windows per batch; default 200 (the reference's). */
  batch?: number;
  /** Data steps per window; default 1. */
  horizon?: number;
  /** Adam learning rate; default 1e-3 (the reference's). */
  lr?: number;
  /** Seed of the window draw; default 0. */
  seed?: number;
  /** Called after every iteration with its loss and the solver's counts. */
  onIteration?: (iteration: number, loss: number, stats: Partial<OdeintStats>) => void;
}

/** The windows' first states [B, M] and targets [horizon, B, M] as flat arrays. */
function drawWindows(data: Float64Array[][], batch: number, horizon: number, rng: Rng): { u0: Float64Array; target: Float64Array } {
  const m = data[0]![0]!.length;
  const steps = data[0]!.length - 1;
  if (!(Number.isInteger(horizon) && horizon >= 1 && horizon <= steps)) throw new InvalidArgumentError(`horizon must be an integer in [1, ${steps}] (the data's steps), got ${horizon}`);
  const u0 = new Float64Array(batch * m);
  const target = new Float64Array(horizon * batch * m);
  for (let b = 0; b < batch; b++) {
    const traj = data[Math.floor(rng.uniform() * data.length)]!;
    const start = Math.floor(rng.uniform() * (steps - horizon + 1));
    u0.set(traj[start]!, b * m);
    for (let k = 1; k <= horizon; k++) target.set(traj[start + k]!, ((k - 1) * batch + b) * m);
  }
  return { u0, target };
}

/** Mean squared error of `net`'s solve from `u0` against `target` at the data's next `horizon` steps. */
export async function windowLoss(dev: Device, net: EnergyNet, data: PhysicsDataset, u0: Tensor, target: Tensor, o: PhysicsTrainOptions, stats: Partial<OdeintStats> = {}): Promise<Tensor> {
  const horizon = target.shape[0]!;
  const ts = Array.from({ length: horizon + 1 }, (_, k) => k * data.dt);
  const f = energyField(net, data.system.name, data.system.dx);
  const solver = o.solver ?? { method: 'dopri5', rtol: 1e-6, atol: 1e-8 };
  // Only the loss outlives the call (the solve's outputs are intermediates; the graph keeps what backward needs).
  return dev.tidy(async () => {
    const ys = await odeint(f, u0, ts, { ...solver, gradient: o.gradient ?? 'symplectic-adjoint', params: net, stats });
    return ys.narrow(0, 1, horizon).sub(target).square().mean();
  });
}

/** Trains `net` on `data.train` (see the module comment); returns the loss of every iteration. */
export async function trainEnergyModel(dev: Device, net: EnergyNet, data: PhysicsDataset, o: PhysicsTrainOptions = {}): Promise<number[]> {
  const rng = new Rng(o.seed ?? 0);
  const batch = o.batch ?? 200;
  const horizon = o.horizon ?? 1;
  const m = data.system.M;
  const opt = new optim.Adam(net.parameters(), { lr: o.lr ?? 1e-3 });
  const losses: number[] = [];
  try {
    for (let it = 0; it < (o.iterations ?? 100); it++) {
      const w = drawWindows(data.train, batch, horizon, rng);
      const stats: Partial<OdeintStats> = {};
      const loss = await dev.tidy(async () => {
        const u0 = dev.tensor(w.u0, [batch, m]);
        const target = dev.tensor(w.target, [horizon, batch, m]);
        const l = await windowLoss(dev, net, data, u0, target, o, stats);
        await l.backward();
        opt.step();
        opt.zeroGrad();
        return l.item();
      });
      losses.push(loss);
      o.onIteration?.(it, loss, stats);
    }
  } finally {
    opt.dispose();
  }
  return losses;
}
