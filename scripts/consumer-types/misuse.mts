// Misuses that must not compile (each line carries @ts-expect-error; tsc fails if one compiles), checked with
// skipLibCheck on, as most projects set it: the public types must not decay to `any` there.
import { createDevice, Tensor, type DeviceOptions } from '@sympode/tensor';
import { odeint } from '@sympode/symplectic';

const dev = await createDevice({ backend: 'cpu' });
// @ts-expect-error a number is not a GPU device
const a: NonNullable<DeviceOptions['device']> = 42;
// @ts-expect-error a number is not a GPU adapter
const b: NonNullable<DeviceOptions['adapter']> = 42;
// @ts-expect-error a string is not a navigator.gpu
const c: NonNullable<DeviceOptions['gpu']> = 'gpu';
// @ts-expect-error no such backend
await createDevice({ backend: 'cuda' });
// @ts-expect-error no such gradient method
await odeint((_t, y) => y, dev.tensor([1]), [0, 1], { gradient: 'magic' });
// @ts-expect-error tensors are made by a device, not constructed
new Tensor();
const t = dev.tensor([1, 2]);
// @ts-expect-error internal members are not part of the public types
t._raw;
// @ts-expect-error internal members are not part of the public types
dev._allocator;
const rows = await t.array();
// @ts-expect-error array() gives nested numbers, not a string
const s: string = rows;
export { a, b, c, s };
