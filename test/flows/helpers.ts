/** Shared set-up of the flows tests: a small FFJORD-style CNF and its loss on a toy batch. */
import { grad, type Device, type Tensor } from '@sympode/tensor';
import type { GradientMethodName } from '@sympode/symplectic';
import { CNF, toyBatch, type CNFOptions, type EncodeOptions } from '@sympode/flows';

/** A CNF of `blocks` concat-squash nets 2 → 8 → 8 → 2 (seeded). */
export function smallCnf(dev: Device, gradient: GradientMethodName, opts: CNFOptions & { blocks?: number } = {}): CNF {
  return CNF.ffjord(dev, 2, { hidden: [8, 8], blocks: opts.blocks ?? 1, seed: 3, ...opts, solver: { gradient, rtol: 1e-5, atol: 1e-7, ...opts.solver } });
}

/** −mean log p(x) (+ the regularizers' means with weight 0.1 when on). */
export async function cnfLoss(cnf: CNF, x: Tensor, opts: EncodeOptions = {}): Promise<Tensor> {
  const r = await cnf.encode(x, opts);
  const dev = cnf.device;
  return dev.tidy(() => {
    let loss = r.logProb.mean().neg();
    if (r.kinetic) loss = loss.add(r.kinetic.mean().mul(0.1));
    if (r.jacobianFrobenius) loss = loss.add(r.jacobianFrobenius.mean().mul(0.1));
    return loss;
  });
}

/** The loss and its gradients with respect to x and every parameter, on the host. */
export async function lossAndGradients(cnf: CNF, xData: Float64Array, opts: EncodeOptions = {}) {
  const dev = cnf.device;
  const x = dev.tensor(xData, [xData.length / 2, 2], { requiresGrad: true });
  const loss = await cnfLoss(cnf, x, opts);
  const gs = await grad(loss, [x, ...cnf.parameters()]);
  const out = { loss: await loss.item(), grads: await Promise.all(gs.map(async (g) => Float64Array.from(await g.data()))) };
  dev.dispose(x, loss, gs);
  return out;
}

/** A seeded toy batch on the host. */
export async function toyPoints(dev: Device, n: number, seed = 1): Promise<Float64Array> {
  const t = toyBatch(dev, '8gaussians', n, seed);
  const v = Float64Array.from(await t.data());
  t.dispose();
  return v;
}
