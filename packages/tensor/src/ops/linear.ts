/**
 * The fused linear layer `act(x·Wᵀ + b)`: one kernel forward. Its backward is built from differentiable ops,
 * so higher-order gradients work: `activationGrad` (the incoming gradient times the activation's derivative,
 * one kernel), a matmul for the input's gradient, and `weightGrad` (the weight and bias gradients, one
 * kernel). An L-layer MLP thus costs L dispatches forward and at most 3L − 1 for a VJP.
 */
import type { LinearActivation } from '../backends/backend.js';
import { record } from '../autograd.js';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { fmt } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { sameDevice } from './common.js';
import { matmulT } from './matmul.js';

export type { LinearActivation } from '../backends/backend.js';

/** The activations {@link linear} fuses. */
export const LINEAR_ACTIVATIONS: readonly LinearActivation[] = ['identity', 'tanh', 'relu', 'sigmoid', 'softplus'];

/**
 * `act(x·Wᵀ + b)` for x [..., in], W [out, in] (PyTorch's layout), b [out] or null; one kernel. The result is
 * [..., out]. Differentiable to any order.
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null, activation: LinearActivation = 'identity'): Tensor {
  if (bias) sameDevice('linear', x, weight, bias);
  else sameDevice('linear', x, weight);
  if (!LINEAR_ACTIVATIONS.includes(activation)) {
    throw new InvalidArgumentError(`linear: unknown activation '${String(activation)}' (expected ${LINEAR_ACTIVATIONS.join(', ')})`);
  }
  if (weight.rank !== 2) throw new ShapeError(`linear: the weight must be 2-D [out, in], got ${fmt(weight.shape)}`);
  const [n, k] = weight.shape;
  if (x.rank === 0 || x.shape[x.rank - 1] !== k) {
    throw new ShapeError(`linear: input ${fmt(x.shape)} does not end in ${k} features (weight ${fmt(weight.shape)})`);
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== n)) {
    throw new ShapeError(`linear: the bias must be [${n}], got ${fmt(bias.shape)}`);
  }
  if (x.rank !== 2) {
    const x2 = x.reshape([x.size / k, k]);
    const y2 = linear2d(x2, weight, bias, activation);
    const y = y2.reshape([...x.shape.slice(0, -1), n]);
    x2.dispose();
    y2.dispose();
    return y;
  }
  return linear2d(x, weight, bias, activation);
}

function linear2d(x: Tensor, w: Tensor, b: Tensor | null, act: LinearActivation): Tensor {
  const dev = x.device;
  const [m, k] = x.shape;
  const n = w.shape[0];
  const out = dev._empty([m, n]);
  dev.backend.linear(x._raw, w._raw, b ? b._raw : null, out._raw, m, n, k, act);
  const inputs = b ? [x, w, b] : [x, w];
  const save = act === 'identity' ? [x, w] : [x, w, out];
  return record('linear', out, inputs, (g, saved, needs) => {
    const [sx, sw, sy] = saved;
    const gz = act === 'identity' ? g : activationGrad(g, sy, act);
    const gx = needs[0] ? matmulT(gz, sw, false, false) : null;
    const [gw, gb] = needs[1] || needs[2] ? weightGrad(gz, sx, b !== null) : [null, null];
    return [gx, gw, gb];
  }, save);
}

/**
 * g · act'(z) from the layer's output y = act(z) (tanh 1 − y², sigmoid y(1 − y), relu step(y), softplus
 * 1 − exp(−y), identity 1), one kernel; differentiable in g and y.
 */
export function activationGrad(g: Tensor, y: Tensor, act: LinearActivation): Tensor {
  sameDevice('activationGrad', g, y);
  if (g.size !== y.size) throw new ShapeError(`activationGrad: gradient ${fmt(g.shape)} and output ${fmt(y.shape)} differ`);
  const dev = g.device;
  const out = dev._empty(g.shape);
  dev.backend.activationGrad(g._raw, y._raw, out._raw, g.size, act);
  return record('activationGrad', out, [g, y], (gg, [sg, sy], needs) => [
    needs[0] ? activationGrad(gg, sy, act) : null,
    needs[1] ? secondDerivative(gg, sg, sy, act) : null,
  ], [g, y]);
}

/** d/dy of g · act'(y) times gg: the activation's second derivative written in y. */
function secondDerivative(gg: Tensor, g: Tensor, y: Tensor, act: LinearActivation): Tensor | null {
  switch (act) {
    case 'tanh': return gg.mul(g).mul(y).mul(-2);
    case 'sigmoid': return gg.mul(g).mul(y.mul(-2).add(1));
    case 'softplus': return gg.mul(g).mul(y.neg().exp());
    default: return null; // relu, identity: piecewise constant derivative
  }
}

/** The weight gradient gzᵀ·x [out, in] and (when `bias`) the bias gradient Σ_rows gz [out], one kernel. */
export function weightGrad(gz: Tensor, x: Tensor, bias: boolean): [Tensor, Tensor | null] {
  sameDevice('weightGrad', gz, x);
  if (gz.rank !== 2 || x.rank !== 2 || gz.shape[0] !== x.shape[0]) {
    throw new ShapeError(`weightGrad: expected gz [m, n] and x [m, k], got ${fmt(gz.shape)} and ${fmt(x.shape)}`);
  }
  const dev = gz.device;
  const [m, n] = gz.shape;
  const k = x.shape[1];
  const gw = dev._empty([n, k]);
  const gb = bias ? dev._empty([n]) : null;
  dev.backend.linearWeightGrad(gz._raw, x._raw, gw._raw, gb ? gb._raw : null, m, n, k);
  const w = record('weightGrad', gw, [gz, x], (gg, [sgz, sx], needs) => [
    needs[0] ? matmulT(sx, gg, false, true) : null,
    needs[1] ? matmulT(sgz, gg, false, false) : null,
  ], [gz, x]);
  const b = gb ? record('biasGrad', gb, [gz], (gg) => [gg.reshape([1, n]).broadcastTo([m, n])]) : null;
  return [w, b];
}
