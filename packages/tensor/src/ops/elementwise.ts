/**
 * Element-wise ops: unary, scalar-parameter, binary with NumPy broadcasting, comparisons and `where`.
 * Each backward is written with Tensor ops (so it is differentiable again) and undoes broadcasting once,
 * through `sumTo`.
 */
import type { BinaryOp, UnaryOp } from '../backends/backend.js';
import { record, type BackwardFn } from '../autograd.js';
import { broadcastShapes, broadcastView } from '../shape.js';
import type { Operand, Tensor } from '../tensor.js';
import { checkOperand, checkScalar, launch, sameDevice } from './common.js';

type Grad1 = (g: Tensor, x: Tensor, y: Tensor, alpha: number) => Tensor;

/** Backward of each differentiable unary op, from the input x and the output y. */
const unaryGrads: Partial<Record<UnaryOp, Grad1>> = {
  neg: (g) => g.neg(),
  exp: (g, _x, y) => g.mul(y),
  log: (g, x) => g.div(x),
  tanh: (g, _x, y) => g.mul(scalarOp('rsubs', y.square(), 1)),
  sigmoid: (g, _x, y) => g.mul(y).mul(scalarOp('rsubs', y, 1)),
  softplus: (g, x) => g.mul(x.sigmoid()),
  relu: (g, x) => g.mul(unaryRaw('step', x)),
  sin: (g, x) => g.mul(x.cos()),
  cos: (g, x) => g.mul(x.sin()).neg(),
  square: (g, x) => g.mul(x).mul(2),
  sqrt: (g, _x, y) => g.div(y).mul(0.5),
  abs: (g, x) => g.mul(unaryRaw('sign', x)),
  recip: (g, _x, y) => g.mul(y.square()).neg(),
  adds: (g) => g,
  muls: (g, _x, _y, a) => g.mul(a),
  rsubs: (g) => g.neg(),
  rdivs: (g, x, y) => g.mul(y).div(x).neg(),
  pows: (g, x, _y, a) => (a === 0 ? g.mul(0) : g.mul(scalarOp('pows', x, a - 1)).mul(a)),
  maxs: (g, x, _y, a) => g.mul(compare('ge', x, a)),
  mins: (g, x, _y, a) => g.mul(compare('le', x, a)),
};

/** Ops whose backward reads the output rather than the input. */
const savesOutput = new Set<UnaryOp>(['exp', 'tanh', 'sigmoid', 'sqrt', 'recip', 'rdivs']);

function unaryRaw(op: UnaryOp, x: Tensor, alpha?: number): Tensor {
  x._check();
  const out = launch(x.device._empty(x.shape), (out) => x.device.backend.unary(op, x._raw, out._raw, x.size, alpha));
  return out;
}

function unaryWithGrad(op: UnaryOp, x: Tensor, alpha = 0): Tensor {
  const y = unaryRaw(op, x, alpha);
  const gradFn = unaryGrads[op];
  if (!gradFn) return y; // sign, step: piecewise constant, no gradient
  const useY = savesOutput.has(op);
  const backward: BackwardFn = (g, saved) => [useY ? gradFn(g, saved[1], saved[0], alpha) : gradFn(g, saved[0], saved[0], alpha)];
  // rdivs needs both x and y.
  const save = op === 'rdivs' ? [y, x] : [useY ? y : x];
  return record(op, y, [x], backward, save);
}

export function unary(op: UnaryOp, x: Tensor): Tensor {
  return unaryWithGrad(op, x);
}

/** x op alpha for the scalar-parameter ops (adds, muls, rsubs, rdivs, pows, maxs, mins). */
export function scalarOp(op: UnaryOp, x: Tensor, alpha: number): Tensor {
  checkScalar(op, alpha);
  return unaryWithGrad(op, x, alpha);
}

function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  sameDevice(op, a, b);
  const shape = broadcastShapes(a.shape, b.shape, op);
  const out = launch(a.device._empty(shape), (out) =>
    a.device.backend.binary(op, a._raw, broadcastView(a.shape, shape), b._raw, broadcastView(b.shape, shape), out._raw, shape),
  );
  return out;
}

const binaryGrads: Partial<Record<BinaryOp, (g: Tensor, a: Tensor, b: Tensor) => [Tensor, Tensor]>> = {
  add: (g) => [g, g],
  sub: (g) => [g, g.neg()],
  mul: (g, a, b) => [g.mul(b), g.mul(a)],
  div: (g, a, b) => [g.div(b), g.mul(a).div(b.square()).neg()],
  // Ties send the gradient to a.
  max: (g, a, b) => {
    const m = compare('ge', a, b);
    return [g.mul(m), g.mul(scalarOp('rsubs', m, 1))];
  },
  min: (g, a, b) => {
    const m = compare('le', a, b);
    return [g.mul(m), g.mul(scalarOp('rsubs', m, 1))];
  },
};

function binaryWithGrad(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const out = binaryRaw(op, a, b);
  const gradFn = binaryGrads[op]!;
  return record(op, out, [a, b], (g, [sa, sb], needs) => {
    const [ga, gb] = gradFn(g, sa, sb);
    return [needs[0] ? ga.sumTo(sa.shape) : null, needs[1] ? gb.sumTo(sb.shape) : null];
  }, [a, b]);
}

/** `a op b` for a tensor b, or the scalar form for a number b. */
function binaryOrScalar(op: BinaryOp, scalar: UnaryOp, a: Tensor, b: Operand, toAlpha = (v: number) => v): Tensor {
  checkOperand(op, b);
  if (typeof b === 'number') checkScalar(op, b);
  return typeof b === 'number' ? scalarOp(scalar, a, toAlpha(b)) : binaryWithGrad(op, a, b);
}

export function add(a: Tensor, b: Operand): Tensor {
  return binaryOrScalar('add', 'adds', a, b);
}
export function sub(a: Tensor, b: Operand): Tensor {
  return binaryOrScalar('sub', 'adds', a, b, (v) => -v);
}
export function mul(a: Tensor, b: Operand): Tensor {
  return binaryOrScalar('mul', 'muls', a, b);
}
export function div(a: Tensor, b: Operand): Tensor {
  return binaryOrScalar('div', 'muls', a, b, (v) => 1 / v);
}
export function maximum(a: Tensor, b: Operand): Tensor {
  return binaryOrScalar('max', 'maxs', a, b);
}
export function minimum(a: Tensor, b: Operand): Tensor {
  return binaryOrScalar('min', 'mins', a, b);
}
export function powScalar(a: Tensor, p: number): Tensor {
  return scalarOp('pows', a, p);
}

/** A tensor operand, or a temporary scalar tensor for a number (the caller disposes temporaries). */
function asTensor(like: Tensor, v: Operand, op: string): { t: Tensor; temp: boolean } {
  if (typeof v !== 'number') return { t: v, temp: false };
  checkScalar(op, v);
  return { t: like.device.full([], v), temp: true };
}

/** Comparison mask (1 where true, 0 elsewhere); not differentiable. */
export function compare(op: 'lt' | 'le' | 'gt' | 'ge' | 'eq' | 'ne', a: Tensor, b: Operand): Tensor {
  checkOperand(op, b);
  const { t, temp } = asTensor(a, b, op);
  const out = binaryRaw(op, a, t);
  if (temp) t.dispose();
  return out;
}

/** `a` where cond != 0, else `b`; all three broadcast together. */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  // Checked before the scalar temporaries exist, so a failure leaves nothing behind.
  for (const v of [a, b]) {
    checkOperand('where', v);
    if (typeof v === 'number') checkScalar('where', v);
  }
  sameDevice('where', cond, ...[a, b].filter((v) => typeof v !== 'number'));
  const shapeOf = (v: Operand) => (typeof v === 'number' ? [] : v.shape);
  const shape = broadcastShapes(broadcastShapes(cond.shape, shapeOf(a), 'where'), shapeOf(b), 'where');
  const like = cond;
  const A = asTensor(like, a, 'where');
  const B = asTensor(like, b, 'where');
  let out: Tensor;
  try {
    out = launch(cond.device._empty(shape), (o) => cond.device.backend.where(
      cond._raw, broadcastView(cond.shape, shape),
      A.t._raw, broadcastView(A.t.shape, shape),
      B.t._raw, broadcastView(B.t.shape, shape),
      o._raw, shape,
    ));
  } catch (e) {
    // The scalar temporaries (freed below on success too).
    if (A.temp) A.t.dispose();
    if (B.temp) B.t.dispose();
    throw e;
  }
  const result = record('where', out, [A.t, B.t], (g, [c], needs) => {
    const zero = 0;
    return [
      needs[0] ? where(c, g, zero).sumTo(A.t.shape) : null,
      needs[1] ? where(c, zero, g).sumTo(B.t.shape) : null,
    ];
  }, [cond]);
  if (A.temp) A.t.dispose();
  if (B.temp) B.t.dispose();
  return result;
}
