// `using` on what owns buffers (tensors, devices, modules, optimisers), for a consumer whose lib has
// explicit resource management (TypeScript 5.2+, lib esnext.disposable or target esnext).
import { createDevice, nn, optim } from '@sympode/tensor';

await using dev = await createDevice({ backend: 'cpu' });
{
  using t = dev.tensor([1, 2, 3]);
  using net = new nn.MLP(dev, [2, 4, 2], 'tanh', { seed: 0 });
  using opt = new optim.SGD(net.parameters(), { lr: 0.1 });
  void [t.shape, opt.constructor.name];
}
