/**
 * The cpu backend's WebAssembly products change no float64 bit of a solve and its gradient: an MLP ODE whose
 * layers are large enough for the SIMD kernels (and for threads), solved by dopri5, differentiated by
 * backprop and by the symplectic adjoint, gives the same loss and gradients on the JS loops, on one thread
 * and on two; and the symplectic adjoint still equals backprop to ≤ 1e-12.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend, Device, grad, nn, WASM_MIN_MNK, type Tensor } from '@sympode/tensor';
import { odeint, type GradientMethodName } from '@sympode/symplectic';
import { relErr } from '../helpers/reference.js';
import { THREAD_MIN_MNK } from '../../packages/tensor/src/backends/wasm/gemm.js';

const [D, W, B] = [6, 96, 512];

async function lossAndGrads(options: { wasm?: boolean; threads?: number }, gradient: GradientMethodName) {
  const backend = new CpuBackend('float64', options);
  const dev = new Device(backend, 0);
  await backend.startThreads();
  const mlp = new nn.MLP(dev, [D, W, W, D], 'tanh', { seed: 1 });
  const y0 = dev.randn([B, D], { seed: 2, requiresGrad: true });
  const f = (_t: number, y: Tensor) => mlp.forward(y);
  const ys = await odeint(f, y0, [0, 0.5, 1], { method: 'dopri5', rtol: 1e-7, atol: 1e-9, params: mlp, gradient });
  const loss = ys.narrow(0, 2, 1).square().sum();
  const gs = await grad(loss, [y0, ...mlp.parameters()]);
  const out = { loss: await loss.data(), grads: await Promise.all(gs.map((g) => g.data())), wasmCalls: backend.counters.wasmCalls };
  dev.destroy();
  return out;
}

describe('float64 solves and gradients are the same bits with the WebAssembly products', () => {
  it('the hidden layer is large enough for the kernels and for two threads', () => {
    expect(B * W * W).toBeGreaterThanOrEqual(WASM_MIN_MNK);
    expect(B * W * W).toBeGreaterThanOrEqual(THREAD_MIN_MNK);
  });
  for (const gradient of ['backprop', 'symplectic-adjoint'] as const) {
    it(gradient, async () => {
      const js = await lossAndGrads({ wasm: false }, gradient);
      const one = await lossAndGrads({ threads: 1 }, gradient);
      const two = await lossAndGrads({ threads: 2 }, gradient);
      expect(js.wasmCalls).toBe(0);
      expect(one.wasmCalls).toBeGreaterThan(20);
      for (const r of [one, two]) {
        expect(r.loss).toEqual(js.loss);
        expect(r.grads).toEqual(js.grads);
      }
    });
  }
  it('the symplectic adjoint equals backprop to ≤ 1e-12 on the WebAssembly products (two threads)', async () => {
    const bp = await lossAndGrads({ threads: 2 }, 'backprop');
    const sa = await lossAndGrads({ threads: 2 }, 'symplectic-adjoint');
    for (let i = 0; i < bp.grads.length; i++) expect(relErr(sa.grads[i], bp.grads[i])).toBeLessThanOrEqual(1e-12);
  });
});
