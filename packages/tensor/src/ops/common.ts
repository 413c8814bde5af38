/** Checks shared by the ops: live tensors, same device, usable scalars. */
import { InvalidArgumentError, NonFiniteError } from '../errors.js';
import type { Tensor } from '../tensor.js';

export function sameDevice(op: string, ...ts: Tensor[]): void {
  for (const t of ts) t._check();
  for (const t of ts.slice(1)) {
    if (t.device !== ts[0].device) throw new InvalidArgumentError(`${op}: tensors live on different devices`);
  }
}

export function checkScalar(op: string, v: number): void {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new NonFiniteError(`${op}: scalar operand is ${v}`);
}
