/**
 * Matrix products: 2-D, batched 3-D, and a 2-D operand broadcast over the other's batch. Transposed operands
 * are read in place by the kernel, so backward (g·Bᵀ, Aᵀ·g) never materialises a transpose.
 */
import { record } from '../autograd.js';
import { ShapeError } from '../errors.js';
import { fmt } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { launch, sameDevice } from './common.js';

/** [batch, rows, cols] of op(x), where op transposes the last two axes when `t`. */
function dims(x: Tensor, t: boolean): [number, number, number] {
  const r = x.shape[x.rank - 2];
  const c = x.shape[x.rank - 1];
  return [x.rank === 3 ? x.shape[0] : 1, t ? c : r, t ? r : c];
}

/** op(a) · op(b), differentiable. */
export function matmulT(a: Tensor, b: Tensor, ta: boolean, tb: boolean): Tensor {
  sameDevice('matmul', a, b);
  for (const x of [a, b]) {
    if (x.rank !== 2 && x.rank !== 3) throw new ShapeError(`matmul: operands must be 2-D or 3-D, got ${fmt(x.shape)}`);
  }
  const [ba, m, k] = dims(a, ta);
  const [bb, k2, n] = dims(b, tb);
  if (k !== k2) {
    throw new ShapeError(`matmul: inner dimensions differ: ${fmt(a.shape)}${ta ? 'ᵀ' : ''} · ${fmt(b.shape)}${tb ? 'ᵀ' : ''} (${k} vs ${k2})`);
  }
  if (ba !== bb && ba !== 1 && bb !== 1) {
    throw new ShapeError(`matmul: batch sizes differ: ${fmt(a.shape)} · ${fmt(b.shape)}`);
  }
  const batch = Math.max(ba, bb);
  const outShape = a.rank === 3 || b.rank === 3 ? [batch, m, n] : [m, n];
  const out = launch(a.device._empty(outShape), (out) =>
    a.device.backend.matmul(a._raw, b._raw, out._raw, batch, m, n, k, ta, tb, ba === 1 ? 0 : m * k, bb === 1 ? 0 : k * n),
  );
  return record('matmul', out, [a, b], (g, [sa, sb], needs) => [
    needs[0] ? (ta ? matmulT(sb, g, tb, true) : matmulT(g, sb, false, !tb)).sumTo(sa.shape) : null,
    needs[1] ? (tb ? matmulT(g, sa, true, ta) : matmulT(sa, g, !ta, false)).sumTo(sb.shape) : null,
  ], [a, b]);
}

export function matmul(a: Tensor, b: Tensor): Tensor {
  return matmulT(a, b, false, false);
}
