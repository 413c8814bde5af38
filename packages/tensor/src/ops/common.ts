/** Checks shared by the ops: live tensors, same device, usable scalars. */
import { InvalidArgumentError, NonFiniteError } from '../errors.js';
import { describe } from '../args.js';
import { Tensor } from '../tensor.js';

/** Every operand is a live tensor (not disposed, device not destroyed) of the first one's device. */
export function sameDevice(op: string, ...ts: unknown[]): void {
  ts.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new InvalidArgumentError(`${op}: operand ${i} is ${describe(t)}; expected a Tensor`);
    t._check();
  });
  const first = ts[0] as Tensor;
  for (const [i, t] of (ts as Tensor[]).entries()) {
    if (t.device !== first.device) {
      throw new InvalidArgumentError(
        `${op}: tensors live on different devices (operand ${i} on ${t.device.kind} ${t.device.dtype}, operand 0 on ${first.device.kind} ${first.device.dtype}); ` +
          'copy it over with device.tensor(await x.data(), x.shape)',
      );
    }
  }
}

/** A binary op's second operand: a tensor or a number. */
export function checkOperand(op: string, v: unknown): void {
  if (typeof v !== 'number' && !(v instanceof Tensor)) throw new InvalidArgumentError(`${op}: the operand is ${describe(v)}; expected a Tensor or a number`);
}

export function checkScalar(op: string, v: number): void {
  if (typeof v !== 'number') throw new InvalidArgumentError(`${op}: scalar operand is ${describe(v)}; expected a number`);
  if (Number.isNaN(v)) throw new NonFiniteError(`${op}: scalar operand is NaN`);
}

/** Runs `kernel` into a fresh output; if the backend throws, the output is freed before the error goes on. */
export function launch(out: Tensor, kernel: (out: Tensor) => void): Tensor {
  try {
    kernel(out);
  } catch (e) {
    out.dispose();
    throw e;
  }
  return out;
}
