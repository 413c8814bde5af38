/**
 * The benchmark problem: an MLP ODE dy/dt = MLP(y) (tanh between layers, none after the last) with state
 * dimension D, hidden width W, L hidden layers (so L + 1 Linear layers: D→W→…→W→D) and batch B, solved on
 * t ∈ [0, T]. The loss is L = Σ w ⊙ y(T) with a fixed random w, so ∂L/∂y(T) = w (passed as `gradOutput`).
 * Every random number is seeded, so the same spec builds the same problem on every backend (float32 webgpu
 * and the float64 cpu reference get identical parameters, initial states and loss weights).
 *
 * With `omega`, a fixed rotation is added: dy/dt = MLP(y) + ω·y·J, J block-diagonal [[0, 1], [−1, 0]] (D even).
 * A random tanh MLP on its own only drifts (|y| grows ~ t and the field saturates), so an adaptive solver takes
 * a handful of steps whatever the horizon; the rotation keeps the dynamics oscillating, so the number of
 * dopri5 steps grows linearly with T and N ≈ 100 is reached on a well-conditioned problem.
 */
import { concat, nn, type Device, type Tensor } from '@sympode/tensor';

export interface MlpOdeSpec {
  /** State dimension. */
  D: number;
  /** Hidden width. */
  W: number;
  /** Hidden layers (L + 1 Linear layers). */
  L: number;
  /** Batch. */
  B: number;
  /** Seed of parameters, y0 and w. Default 7. */
  seed?: number;
  /** End time (default 1). */
  T?: number;
  /** Angular frequency of the added rotation (default 0: a pure MLP ODE). */
  omega?: number;
}

export interface MlpOde {
  readonly spec: Required<MlpOdeSpec>;
  readonly device: Device;
  readonly mlp: nn.MLP;
  /** f(t, y) = MLP(y). */
  readonly f: (t: number, y: Tensor) => Tensor;
  /** Initial state [B, D], requires grad. */
  readonly y0: Tensor;
  /** ∂L/∂ys for output times [0, T]: row 0 zeros, row 1 = w. Shape [2, B, D]. */
  readonly gradOutput: Tensor;
  /** Output times [0, T]. */
  readonly times: number[];
  /** y0 then the parameters, in the order gradients are reported. */
  readonly inputs: Tensor[];
  dispose(): void;
}

export function specLabel(s: MlpOdeSpec): string {
  return `D${s.D} W${s.W} L${s.L} B${s.B}${s.omega ? ` ω${+s.omega.toFixed(3)}` : ''}`;
}

/** The rotation generator ω·J ([D, D], row-major) added to the field when `omega` is set. */
export function rotationMatrix(D: number, omega: number): number[] {
  const J = new Array<number>(D * D).fill(0);
  for (let i = 0; i + 1 < D; i += 2) {
    J[i * D + i + 1] = omega;
    J[(i + 1) * D + i] = -omega;
  }
  return J;
}

/** Layer sizes of the MLP: [D, W × L, D]. */
export function layerSizes(s: MlpOdeSpec): number[] {
  return [s.D, ...Array.from({ length: s.L }, () => s.W), s.D];
}

/** Number of scalar parameters. */
export function parameterCount(s: MlpOdeSpec): number {
  const sizes = layerSizes(s);
  let n = 0;
  for (let i = 1; i < sizes.length; i++) n += sizes[i - 1] * sizes[i] + sizes[i];
  return n;
}

export function buildMlpOde(dev: Device, spec: MlpOdeSpec): MlpOde {
  const full: Required<MlpOdeSpec> = { seed: 7, T: 1, omega: 0, ...spec };
  const { D, B, seed, T } = full;
  const mlp = new nn.MLP(dev, layerSizes(full), 'tanh', { seed: seed * 1000 });
  const y0 = dev.keep(dev.randn([B, D], { seed: seed * 1000 + 500, requiresGrad: true }));
  // ∂L/∂ys: zeros at t = 0, w at t = T.
  const gradOutput = dev.keep(
    dev.noGrad(() =>
      dev.tidy(() => concat([dev.zeros([1, B, D]), dev.randn([1, B, D], { seed: seed * 1000 + 501 })], 0)),
    ),
  );
  const J = full.omega ? dev.keep(dev.tensor(rotationMatrix(D, full.omega), [D, D])) : null;
  const f = J
    ? (_t: number, y: Tensor): Tensor => {
        const m = mlp.forward(y);
        const r = y.matmul(J);
        const out = m.add(r);
        m.dispose();
        r.dispose();
        return out;
      }
    : (_t: number, y: Tensor): Tensor => mlp.forward(y);
  return {
    spec: full,
    device: dev,
    mlp,
    f,
    y0,
    gradOutput,
    times: [0, T],
    inputs: [y0, ...mlp.parameters()],
    dispose() {
      mlp.dispose();
      y0.dispose();
      gradOutput.dispose();
      J?.dispose();
    },
  };
}
