/**
 * bench:peer's MLP ODE rows: D→W→W→D tanh, batch B, rk4 with fixed steps on [0, 1], one forward + backward.
 * Ours (any gradient method, loss Σ y(1)², with the time its evaluation counts predict from f's unit costs
 * measured at the row's size: bench/lib/unit-costs.ts) and TensorFlow.js-wasm (backprop through a hand-written rk4 with
 * tfjs's tape, the only gradient tfjs has; loss Σ y(1), the same work), on the same weights.
 */
import { grad, nn, type Device, type Tensor } from '@sympode/tensor';
import { getTableau, odeint, type GradientMethodName, type OdeintStats } from '@sympode/symplectic';
import { median } from './stats.js';
import { measureUnitCosts, predictedMs } from './unit-costs.js';
import { runTfjsIsolated, type TfjsProblem } from './tfjs-peer.js';

/** A row of the table. */
export interface MlpSpec { D: number; W: number; B: number }

/** Ours: ms of one forward + backward (median of `reps` after two warm-ups), and what the counts predict. */
export async function ourMlp(
  dev: Device, s: MlpSpec, steps: number, gradient: GradientMethodName, reps: number,
): Promise<{ ms: number; predictedMs: number }> {
  const mlp = new nn.MLP(dev, [s.D, s.W, s.W, s.D], 'tanh', { seed: 1 });
  const y0 = dev.randn([s.B, s.D], { seed: 2, requiresGrad: true });
  const f = (_t: number, y: Tensor) => mlp.forward(y);
  const ms: number[] = [];
  const stats: Partial<OdeintStats> = {};
  try {
    // The unit costs of f at this size (f without graph, recorded, one VJP), for the counts' prediction.
    const units = await measureUnitCosts(dev, f, y0, mlp.parameters(), 5, 3);
    for (let r = 0; r <= reps + 1; r++) {
      const t0 = performance.now();
      const gs = await dev.tidy(async () => {
        const ys = await odeint(f, y0, [0, 1], { method: 'rk4', stepSize: 1 / steps, params: mlp, gradient, stats });
        return grad(ys.narrow(0, 1, 1).square().sum(), [y0, ...mlp.parameters()]);
      });
      await gs[0].data();
      if (r > 1) ms.push(performance.now() - t0);
      dev.dispose(gs);
    }
    return { ms: median(ms), predictedMs: predictedMs(gradient, stats, units, 'rk4') };
  } finally {
    dev.dispose(y0);
    mlp.dispose();
  }
}

/** tfjs-wasm's ms of one forward + backward and its backend description (in a child process). */
export async function tfjsMlp(dev: Device, s: MlpSpec, steps: number, reps: number): Promise<{ ms: number; backend: string }> {
  const mlp = new nn.MLP(dev, [s.D, s.W, s.W, s.D], 'tanh', { seed: 1 });
  const y0 = dev.randn([s.B, s.D], { seed: 2 });
  try {
    const sd = await mlp.stateDict();
    const tab = getTableau('rk4');
    const prob: TfjsProblem = {
      layers: mlp.layers.map((_, i) => ({ weight: sd[`layers.${i}.weight`], bias: sd[`layers.${i}.bias`] })),
      y0: { shape: [...y0.shape], data: Array.from(await y0.data()) }, w: new Array<number>(y0.size).fill(1),
      a: tab.a, b: tab.b, fsal: tab.fsal, steps: new Array<number>(steps).fill(1 / steps),
    };
    const m = await runTfjsIsolated('wasm', prob, reps);
    return { ms: m.iterMs, backend: m.backend };
  } finally {
    y0.dispose();
    mlp.dispose();
  }
}
