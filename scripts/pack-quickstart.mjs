// The README quick-start, run by scripts/pack-check.sh from a project that installed the packed tarballs.
import { createDevice, nn, optim } from '@sympode/tensor';
import { odeint } from '@sympode/symplectic';

const backend = process.argv[2] ?? 'cpu';
const dev = await createDevice({ backend });
const mlp = new nn.MLP(dev, [2, 32, 2], 'tanh', { seed: 0 });
const opt = new optim.Adam(mlp.parameters(), { lr: 1e-2 });
const f = (_t, y) => mlp.forward(y);
const y0 = dev.randn([64, 2], { seed: 1 });
const target = dev.tidy(() => y0.mul(0.5));
const losses = [];
for (let it = 0; it < 30; it++) {
  losses.push(await dev.tidy(async () => {
    const ys = await odeint(f, y0, [0, 1], { params: mlp, gradient: 'symplectic-adjoint' });
    const loss = ys.narrow(0, 1, 1).reshape([64, 2]).sub(target).square().mean();
    await loss.backward();
    opt.step();
    opt.zeroGrad();
    return loss.item();
  }));
}
const held = mlp.parameterCount * 3 * dev.backend.elementBytes + 2 * 64 * 2 * dev.backend.elementBytes;
// Tensor bytes only: the backend's own buffers (WebGPU's uniform ring) live under the label `internal`.
const stats = dev.memory.stats();
const live = stats.liveBytes - (stats.byLabel.internal?.liveBytes ?? 0);
console.log(`${dev.backend.description}: loss ${losses[0].toFixed(5)} → ${losses.at(-1).toFixed(5)}, live bytes ${live} (held ${held})`);
if (!(losses.at(-1) < 0.5 * losses[0])) throw new Error('pack-check: the loss did not fall');
if (live !== held) throw new Error(`pack-check: ${live} live bytes after training, expected ${held}`);
dev.destroy();
