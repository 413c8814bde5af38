// A strict TypeScript consumer of the packed packages, type-checked by scripts/types-check.sh under node16,
// bundler and nodenext with skipLibCheck off: the public API only, as the README uses it.
import { createDevice, nn, optim, grad, type Tensor, type DeviceOptions, type NestedNumbers } from '@sympode/tensor';
import { odeint, type OdeintOptions } from '@sympode/symplectic';

const options: DeviceOptions = { backend: 'cpu', dtype: 'float64' };
const dev = await createDevice(options);
const mlp = new nn.MLP(dev, [2, 16, 2], 'tanh', { seed: 0 });
const opt = new optim.Adam(mlp.parameters(), { lr: 1e-2 });
const f = (_t: number, y: Tensor): Tensor => mlp.forward(y);
const y0 = dev.randn([8, 2], { seed: 1 });
const solve: OdeintOptions = { params: mlp, gradient: 'symplectic-adjoint', method: 'dopri5' };
const loss: number = await dev.tidy(async () => {
  const ys = await odeint(f, y0, [0, 1], solve);
  const l = ys.square().mean();
  const gs: Tensor[] = await grad(l, mlp.parameters());
  gs.forEach((g) => g.dispose());
  await l.backward();
  opt.step();
  opt.zeroGrad();
  return l.item();
});
const rows: NestedNumbers = await y0.array();
const bytes: number = dev.memory.stats().liveBytes;
export { loss, rows, bytes };
dev.destroy();
