/**
 * The reference's HNN++ energy network (tksmatsubara/discrete-autograd, dgnet/pde.py): periodic pad,
 * Conv1d 1→C (kernel 3), tanh, Conv1d C→C (kernel 1), tanh, Conv1d C→1 (kernel 1, no bias), summed over the
 * grid to H(u) per sample. Kernel-1 convolutions are linear layers over channels; the kernel-3 one is a linear
 * layer on the three periodic neighbours of each point. Weights orthogonal, biases zero, as the reference
 * initialises them. With `output: 'field'` the same network without the sum and with a bias on its last
 * layer is the reference's plain neural-ODE baseline (`model='node'`).
 */
import { linear, nn, Rng, stack, type Device, type Tensor } from '@sympode/tensor';
import { roll } from './periodic-tensor.js';

/** Options of {@link EnergyNet}. */
export interface EnergyNetOptions {
  /** Hidden channels; default 200 (the reference's). */
  hidden?: number;
  /** Seed of the orthogonal init; default 0. */
  seed?: number;
  /** 'energy' (HNN++: H summed over the grid) or 'field' (the neural-ODE baseline's u_t); default 'energy'. */
  output?: 'energy' | 'field';
}

/** A matrix [rows, cols] with orthonormal columns (rows ≥ cols) or rows, from a seeded Gaussian (torch's orthogonal_). */
export function orthogonal(rows: number, cols: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const [n, m] = rows >= cols ? [rows, cols] : [cols, rows];
  const q = Array.from({ length: m }, () => Float64Array.from({ length: n }, () => rng.normal()));
  for (let j = 0; j < m; j++) {
    for (let i = 0; i < j; i++) {
      let d = 0;
      for (let r = 0; r < n; r++) d += q[i][r] * q[j][r];
      for (let r = 0; r < n; r++) q[j][r] -= d * q[i][r];
    }
    const norm = Math.hypot(...q[j]);
    for (let r = 0; r < n; r++) q[j][r] /= norm;
  }
  const out = new Float64Array(rows * cols);
  for (let j = 0; j < m; j++) for (let r = 0; r < n; r++) out[rows >= cols ? r * cols + j : j * cols + r] = q[j][r];
  return out;
}

/** HNN++ (or the neural-ODE baseline): H_θ(u) per sample for u [B, M]. */
export class EnergyNet extends nn.Module {
  readonly w1: Tensor;
  readonly b1: Tensor;
  readonly w2: Tensor;
  readonly b2: Tensor;
  readonly w3: Tensor;
  readonly b3: Tensor | null;
  readonly output: 'energy' | 'field';

  constructor(readonly device: Device, opts: EnergyNetOptions = {}) {
    super();
    const c = opts.hidden ?? 200;
    const seed = opts.seed ?? 0;
    this.output = opts.output ?? 'energy';
    const param = (data: Float64Array | number[], shape: number[]) =>
      device.keep(device.memory.scope('parameters', () => device.tensor(data, shape, { requiresGrad: true })));
    this.w1 = param(orthogonal(c, 3, seed), [c, 3]);
    this.b1 = param(new Array(c).fill(0), [c]);
    this.w2 = param(orthogonal(c, c, seed + 1), [c, c]);
    this.b2 = param(new Array(c).fill(0), [c]);
    this.w3 = param(orthogonal(1, c, seed + 2), [1, c]);
    this.b3 = this.output === 'field' ? param([0], [1]) : null;
  }

  namedParameters(): [string, Tensor][] {
    const ps: [string, Tensor][] = [['conv1.weight', this.w1], ['conv1.bias', this.b1], ['conv2.weight', this.w2], ['conv2.bias', this.b2], ['conv3.weight', this.w3]];
    return this.b3 ? [...ps, ['conv3.bias', this.b3]] : ps;
  }

  /** u [B, M] → H [B] ('energy') or u_t [B, M] ('field'). */
  forward(u: Tensor): Tensor {
    const [b, m] = u.shape;
    return this.device.tidy(() => {
      // Each point's periodic neighbourhood (u[i−1], u[i], u[i+1]): the kernel-3 convolution's input.
      const cols = stack([roll(u, 1), u, roll(u, -1)], 2).reshape([b * m, 3]);
      const h1 = linear(cols, this.w1, this.b1, 'tanh');
      const h2 = linear(h1, this.w2, this.b2, 'tanh');
      const out = linear(h2, this.w3, this.b3, 'identity').reshape([b, m]);
      return this.output === 'energy' ? out.sum(1) : out;
    });
  }
}
