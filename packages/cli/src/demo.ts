/**
 * `sympode demo`: trains a 2-layer MLP on a toy regression and prints loss and memory stats, as a first
 * look at the tensor library and its allocator.
 */
import { nn, optim } from '@sympode/tensor';
import { cliDevice, type BackendChoice } from './device.js';
import { formatBytes } from './format.js';

export async function demo(opts: { backend: BackendChoice; iters: number; seed: number }): Promise<void> {
  const dev = await cliDevice(opts.backend, opts.seed, console.log);
  const mlp = new nn.MLP(dev, [1, 64, 1], 'tanh', { seed: opts.seed });
  const opt = new optim.Adam(mlp.parameters(), { lr: 0.01 });
  const x = dev.tensor(Float64Array.from({ length: 256 }, (_, i) => -3 + (6 * i) / 255), [256, 1]);
  const y = dev.tidy(() => x.mul(2).sin().mul(x.mul(-0.3).exp()));
  for (let i = 0; i <= opts.iters; i++) {
    const loss = await dev.tidy(async () => {
      const l = mlp.forward(x).sub(y).square().mean();
      await l.backward();
      opt.step();
      opt.zeroGrad();
      return l.item();
    });
    if (i % Math.max(1, Math.floor(opts.iters / 10)) === 0) {
      const s = dev.memory.stats();
      console.log(`iter ${String(i).padStart(5)}  loss ${loss.toExponential(4)}  live ${formatBytes(s.liveBytes)}  peak ${formatBytes(s.peakBytes)}`);
    }
  }
  const s = dev.memory.stats();
  console.log('live bytes by label:', Object.fromEntries(Object.entries(s.byLabel).map(([k, v]) => [k, v.liveBytes])));
  opt.dispose();
  mlp.dispose();
  dev.dispose(x, y);
  console.log(`after dispose: ${s.liveTensors} → ${dev.memory.stats().liveTensors} live tensors, ${dev.memory.stats().liveBytes} live bytes`);
  dev.destroy();
}
