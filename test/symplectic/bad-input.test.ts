/**
 * Bad input to `odeint`, case by case, on cpu and webgpu: each is a specific SympodeError whose message names
 * the problem, raised before anything is allocated or freed on the way out (see helpers/bad-input.ts).
 */
import {
  DeviceDestroyedError, DisposedTensorError, grad, HigherOrderGradientError, InPlaceModificationError, InvalidArgumentError, NonFiniteError,
  optim, ShapeError, UnusedInputError, type Device, type Tensor,
} from '@sympode/tensor';
import {
  MaxStepsExceededError, NonFiniteGradientError, NonFiniteStateError, odeint, StepSizeUnderflowError, ToleranceError,
  UnknownGradientMethodError, UnknownMethodError, UntrackedParameterError, type OdeintOptions,
} from '@sympode/symplectic';
import { bad, badInputSuite } from '../helpers/bad-input.js';

const decay = (_t: number, y: Tensor) => y.neg();
const y0Of = (dev: Device) => dev.tensor([1, 2]);

/** odeint(decay, y0, [0, 1], options): a bad option, everything else fine. */
const option = (name: string, error: typeof InvalidArgumentError, message: RegExp, options: unknown) =>
  bad({ name, error, message, setup: y0Of, act: (y0) => odeint(decay, y0, [0, 1], options as OdeintOptions) });

/** odeint(f, y0, t) where f (given y0's device and the other device) returns something wrong. */
const field = (name: string, error: typeof InvalidArgumentError, message: RegExp, f: (y: Tensor, env: { other: Device }) => unknown, t = [0, 1]) =>
  bad({ name, error, message, setup: y0Of, act: (y0, _dev, env) => odeint((_t, y) => f(y, env) as Tensor, y0, t) });

/** A solve whose backward fails: y0 and W require grad, loss = Σ ys; `act` asks for the gradients. */
async function solved(dev: Device, f: (W: Tensor) => (t: number, y: Tensor) => Tensor, options: OdeintOptions) {
  const W = dev.tensor([1], [1], { requiresGrad: true });
  const y0 = dev.tensor([0, 0], [2, 1], { requiresGrad: true });
  const ys = await odeint(f(W), y0, [0, 1], options);
  return { W, y0, ys, loss: dev.tidy(() => ys.sum()) };
}
/** f(y) = sqrt(|y|)·W at y = 0: a finite forward, an infinite Jacobian in backward. */
const sqrtField = (W: Tensor) => (_t: number, y: Tensor) => y.device.tidy(() => y.abs().sqrt().mul(W));
const linearField = (W: Tensor) => (_t: number, y: Tensor) => y.mul(W);

/** Where each method finds the NaN: λ per step, the continuous adjoint's own solve, or (recompute's plain backprop) the parameter gradients at the end. */
const nonFiniteMessage = {
  'symplectic-adjoint': /the adjoint λ became (NaN|-?Infinity) in the backward pass of step \d+.*checkBackward: false/,
  checkpoint: /the adjoint λ became (NaN|-?Infinity) in the backward pass of step \d+.*checkBackward: false/,
  adjoint: /the continuous adjoint's backward solve from t = 1 to 0 failed: non-finite state between t = 1 and t = 0/,
  recompute: /the gradient of parameter 0 \(shape \[1\]\) became (NaN|-?Infinity) in the backward pass; pass \{ checkBackward: false \}/,
};

const cases = [
  // ---- `f`, `y0`, `t` ----
  bad({ name: 'f is not a function', error: InvalidArgumentError, message: /f must be a function \(t, y\) => dy\/dt, got number/, setup: y0Of, act: (y0) => odeint(5 as never, y0, [0, 1]) }),
  bad({ name: 'y0 is a number', error: InvalidArgumentError, message: /y0 must be a Tensor, got 1 \(create it with device\.tensor/, act: () => odeint(decay, 1 as never, [0, 1]) }),
  bad({ name: 'y0 is an array', error: InvalidArgumentError, message: /y0 must be a Tensor, got an array/, act: () => odeint(decay, [1, 2] as never, [0, 1]) }),
  bad({ name: 'y0 was disposed', error: DisposedTensorError, message: /was used after it was disposed/, setup: (dev) => { const y0 = y0Of(dev); y0.dispose(); return y0; }, act: (y0) => odeint(decay, y0, [0, 1]) }),
  bad({ name: 'y0 of a destroyed device', error: DeviceDestroyedError, message: /was destroyed; create a new one/, act: (_, _dev, env) => odeint(decay, env.deadTensor, [0, 1]) }),
  bad({ name: 'y0 is empty', error: ShapeError, message: /y0 is empty/, setup: (dev) => dev.zeros([0]), act: (y0) => odeint(decay, y0, [0, 1]) }),
  bad({ name: 'y0 holds NaN', error: NonFiniteError, message: /y0 element 1 is NaN/, setup: (dev) => dev.tensor([1, NaN], undefined, { allowNonFinite: true }), act: (y0) => odeint(decay, y0, [0, 1]) }),
  bad({ name: 't is a Tensor', error: InvalidArgumentError, message: /t is a Tensor; pass the output times as an array of numbers \(e\.g\. Array\.from\(await t\.data\(\)\)\)/, setup: (dev) => [y0Of(dev), dev.tensor([0, 1])], act: ([y0, t]) => odeint(decay, y0, t as never) }),
  bad({ name: 't is a string', error: InvalidArgumentError, message: /t must be an array of output times, got '0,1'/, setup: y0Of, act: (y0) => odeint(decay, y0, '0,1' as never) }),
  bad({ name: 't is empty', error: InvalidArgumentError, message: /t must be a non-empty array of output times/, setup: y0Of, act: (y0) => odeint(decay, y0, []) }),
  bad({ name: 't holds NaN', error: InvalidArgumentError, message: /t\[1\] is NaN; output times must be finite numbers/, setup: y0Of, act: (y0) => odeint(decay, y0, [0, NaN]) }),
  bad({ name: 't holds a string', error: InvalidArgumentError, message: /t\[1\] is '1'; output times must be finite numbers/, setup: y0Of, act: (y0) => odeint(decay, y0, [0, '1'] as never) }),
  bad({ name: 't is not strictly monotone', error: InvalidArgumentError, message: /strictly increasing or strictly decreasing: t\[1\] = 1, t\[2\] = 1/, setup: y0Of, act: (y0) => odeint(decay, y0, [0, 1, 1]) }),
  bad({ name: 't changes direction', error: InvalidArgumentError, message: /t\[1\] = 1, t\[2\] = 0\.5/, setup: y0Of, act: (y0) => odeint(decay, y0, new Float64Array([0, 1, 0.5])) }),

  // ---- What `f` returns ----
  field('f returns a number', InvalidArgumentError, /the ODE function returned the number 1 at t = 0; it must return a Tensor of the state's shape \[2\]/, () => 1),
  field('f returns undefined', InvalidArgumentError, /the ODE function returned undefined at t = 0/, () => undefined),
  field('f returns an array of tensors', InvalidArgumentError, /returned an array of length 1 at t = 0/, (y) => [y.neg()]),
  field('f returns a tensor of the wrong shape', ShapeError, /returned shape \[1, 2\] at t = 0; expected the state's shape \[2\]/, (y) => y.neg().reshape([1, 2])),
  field('f returns a tensor of another device (dtype)', InvalidArgumentError, /returned a tensor of another device \(cpu float(32|64)\) at t = 0; it must live on y0's device/, (_y, env) => env.other.zeros([2])),
  field('f returns a disposed tensor', DisposedTensorError, /returned a disposed tensor at t = 0/, (y) => { const k = y.neg(); k.dispose(); return k; }),
  field('f returns a number, decreasing t', InvalidArgumentError, /returned the number 1 at t = 1;/, () => 1, [1, 0]),
  field('f returns the wrong shape, decreasing t', ShapeError, /returned shape \[\] at t = 1;/, (y) => y.sum(), [1, 0]),

  // ---- Options ----
  option('negative rtol', InvalidArgumentError, /rtol must be a positive finite number, got -1/, { rtol: -1 }),
  option('NaN rtol', InvalidArgumentError, /rtol must be a positive finite number, got NaN/, { rtol: NaN }),
  option('rtol above 1', InvalidArgumentError, /rtol must be at most 1 \(it is a relative error: 1 means 100%\), got 2/, { rtol: 2 }),
  option('infinite atol', InvalidArgumentError, /atol must be a positive finite number, got Infinity/, { atol: Infinity }),
  option('zero tolerances', InvalidArgumentError, /rtol must be a positive finite number, got 0/, { rtol: 0, atol: 0 }),
  option('a string atol', InvalidArgumentError, /atol must be a positive finite number, got '1e-6'/, { atol: '1e-6' }),
  option('adjointRtol = 0', InvalidArgumentError, /adjointRtol must be a positive finite number, got 0/, { adjointRtol: 0 }),
  option('stepSize = 0', InvalidArgumentError, /stepSize must be a positive finite number, got 0/, { method: 'rk4', stepSize: 0 }),
  option('NaN stepSize', InvalidArgumentError, /stepSize must be a positive finite number, got NaN/, { method: 'euler', stepSize: NaN }),
  option('stepSize on an adaptive method', InvalidArgumentError, /stepSize is for fixed-step methods; 'dopri5' is adaptive \(use firstStep\)/, { stepSize: 0.1 }),
  option('firstStep on a fixed-step method', InvalidArgumentError, /firstStep is for adaptive methods; 'rk4' takes fixed steps \(use stepSize\)/, { method: 'rk4', firstStep: 0.1 }),
  option('maxSteps = 0', InvalidArgumentError, /maxSteps must be a positive integer, got 0/, { maxSteps: 0 }),
  option('fractional maxSteps', InvalidArgumentError, /maxSteps must be a positive integer, got 2\.5/, { maxSteps: 2.5 }),
  option('unknown method', UnknownMethodError, /Unknown Runge–Kutta method 'rk45'; known methods: euler, midpoint, rk4/, { method: 'rk45' }),
  option('unknown gradient method', UnknownGradientMethodError, /unknown gradient method 'adjoint-symplectic' \(expected one of symplectic-adjoint, backprop, checkpoint, adjoint/, { gradient: 'adjoint-symplectic' }),
  option('a misspelt option', InvalidArgumentError, /unknown odeint option 'step_size' \(known: method, base, coupling, rtol/, { step_size: 0.1 }),
  option('options is null', InvalidArgumentError, /odeint options must be an object, got null/, null),
  option('params holds a number', InvalidArgumentError, /params\[0\] is 1; expected a Tensor/, { params: [1] }),
  option('params is neither tensors nor a Module', InvalidArgumentError, /params must be an array of tensors or an nn\.Module, got 'W'/, { params: 'W' }),
  option('controller without methods', InvalidArgumentError, /controller must be a StepSizeController \(an object with initialStep and adapt methods\)/, { controller: {} }),
  // An explicit null is not "the default": each was taken as one (or failed far from the cause) before.
  option('stepSize: null', InvalidArgumentError, /stepSize is null; leave it out \(or undefined\) for the default, or pass a positive step size/, { method: 'rk4', stepSize: null }),
  option('firstStep: null', InvalidArgumentError, /firstStep is null; leave it out \(or undefined\) for the default, or pass a positive first step/, { firstStep: null }),
  option('rtol: null', InvalidArgumentError, /rtol is null; leave it out \(or undefined\) for the default, or pass a positive number \(default 1e-7\)/, { rtol: null }),
  option('maxSteps: null', InvalidArgumentError, /maxSteps is null; .* or pass a positive integer \(default 100000\)/, { maxSteps: null }),
  option('method: null', InvalidArgumentError, /method is null; .* or pass a tableau name such as 'dopri5'/, { method: null }),
  option('gradient: null', InvalidArgumentError, /gradient is null; .* or pass a gradient method name such as 'symplectic-adjoint'/, { gradient: null }),
  option('stats frozen', InvalidArgumentError, /stats must be a writable object: its 'method' cannot be written \(frozen, sealed or read-only\); pass a fresh \{\}/, { stats: Object.freeze({}) }),
  option('stats with a read-only counter', InvalidArgumentError, /stats must be a writable object: its 'nfeForward' cannot be written/, { stats: Object.defineProperty({}, 'nfeForward', { value: 0, enumerable: true }) }),
  option('stats an array', InvalidArgumentError, /stats must be a plain object to fill in, got an array of length 0/, { stats: [] }),
  option('checkBackward not a boolean', InvalidArgumentError, /checkBackward must be true or false, got 'yes'/, { checkBackward: 'yes' }),
  option('a controller whose initialStep returns NaN', InvalidArgumentError, /the step-size controller's initialStep\(\) returned NaN; expected a positive finite step size/, { controller: { initialStep: () => NaN, adapt: (h: number) => ({ accept: true, next: h }) } }),
  option('a controller whose next step is NaN', InvalidArgumentError, /the step-size controller's adapt\(\) returned next = NaN; expected a positive finite step size/, { controller: { initialStep: () => 0.1, adapt: () => ({ accept: false, next: NaN }) } }),
  option('a checkpoint budget of 0', InvalidArgumentError, /checkpoints must be a positive integer \(the most step states held at once, y0 included\), got 0/, { checkpoints: 0 }),
  option('a checkpoint budget for backprop', InvalidArgumentError, /checkpoints does not apply to gradient 'backprop'/, { checkpoints: 4, gradient: 'backprop' }),
  option('an unknown stages mode', InvalidArgumentError, /stages must be 'recompute' or 'keep', got 'store'/, { stages: 'store' }),
  option("stages 'keep' for backprop", InvalidArgumentError, /stages: 'keep' does not apply to gradient 'backprop'/, { stages: 'keep', gradient: 'backprop' }),
  option("stages 'keep' under a checkpoint budget", InvalidArgumentError, /stages: 'keep' stores every step's stages, and a checkpoints budget \(4\) exists to hold fewer states/, { stages: 'keep', checkpoints: 4 }),
  option('an unknown adjointNorm', InvalidArgumentError, /adjointNorm must be 'full' or 'seminorm', got 'semi'/, { gradient: 'adjoint', adjointNorm: 'semi' }),
  option("adjointNorm 'seminorm' for the symplectic adjoint", InvalidArgumentError, /adjointNorm: 'seminorm' does not apply to gradient 'symplectic-adjoint': it is the error norm of the continuous adjoint's backward solve \(gradient 'adjoint'\)/, { adjointNorm: 'seminorm' }),
  option("adjointNorm 'seminorm' for backprop", InvalidArgumentError, /adjointNorm: 'seminorm' does not apply to gradient 'backprop'/, { gradient: 'backprop', adjointNorm: 'seminorm' }),
  option("adjointNorm 'seminorm' on a fixed-step method", InvalidArgumentError, /adjointNorm: 'seminorm' is for adaptive methods; 'rk4' takes fixed steps, which no error norm changes/, { method: 'rk4', gradient: 'adjoint', adjointNorm: 'seminorm' }),
  option('an unknown norm', InvalidArgumentError, /norm must be 'batch' or 'per-sample', got 'max'/, { norm: 'max' }),
  option('an unknown outputs mode', InvalidArgumentError, /outputs must be 'step' or 'interpolate', got 'dense'/, { outputs: 'dense' }),
  option("gradient 'reversible' on a Runge–Kutta tableau", InvalidArgumentError, /gradient 'reversible' needs a reversible solver \(method: 'reversible_heun' or 'reversible'\); 'dopri5' is a Runge–Kutta tableau/, { gradient: 'reversible' }),
  option('reversible_heun with a per-step gradient method', InvalidArgumentError, /method 'reversible_heun' is differentiated by 'reversible' or 'backprop', not by 'checkpoint'/, { method: 'reversible_heun', gradient: 'checkpoint' }),
  option('reversible_heun asked to interpolate', InvalidArgumentError, /method 'reversible_heun' outputs the states at step ends only \(outputs: 'step'\)/, { method: 'reversible_heun', outputs: 'interpolate' }),
  option('a controller whose adapt returns nothing', InvalidArgumentError, /the step-size controller's adapt\(\) returned undefined; expected \{ accept: boolean, next: number \}/, { controller: { initialStep: () => 0.1, adapt: () => undefined } }),
  bad({ name: 'params on another device', error: InvalidArgumentError, message: /params\[0\] lives on a different device \(cpu float(32|64)\) from y0 \((cpu float64|webgpu float32)\)/, setup: (dev, env) => ({ y0: y0Of(dev), p: env.other.ones([1], { requiresGrad: true }) }), act: ({ y0, p }) => odeint(decay, y0, [0, 1], { params: [p] }), teardown: ({ y0, p }) => { y0.dispose(); p.dispose(); } }),

  // ---- Tolerances at the precision of y0's dtype ----
  // Each failed far from the cause before (NonFiniteError: mul: scalar operand is NaN; initialStep() returned NaN).
  option('rtol = atol = 1e-200', ToleranceError, /rtol 1e-200 cannot be met in float(64|32) \(y0's dtype\): it is below the dtype's unit roundoff (1\.1e-16|6e-8) \(eps\/2, eps = (2\.2e-16|1\.2e-7)\), the relative error of storing the state itself; pass rtol ≥ (2\.3e-16|1\.2e-7)/, { rtol: 1e-200, atol: 1e-200 }),
  option('a subnormal atol', ToleranceError, /atol 5e-324 cannot be used in float(64|32) \(y0's dtype\): it is below the dtype's smallest normal number (2\.2e-308|1\.2e-38), so where a component of the state is 0 the error ratio error \/ \(atol \+ rtol·\|y\|\) overflows.*; pass atol ≥ (2\.3e-308|1\.2e-38)/, { atol: 5e-324, rtol: 1e-3 }),
  option('adjointRtol = 1e-200', ToleranceError, /adjointRtol 1e-200 cannot be met in float(64|32) .*; pass adjointRtol ≥/, { gradient: 'adjoint', adjointRtol: 1e-200 }),
  option('adjointAtol = 1e-320', ToleranceError, /adjointAtol 1e-320 cannot be used in float(64|32) .*; pass adjointAtol ≥/, { gradient: 'adjoint', adjointAtol: 1e-320 }),
  bad({
    name: 'rtol 3e-8 on float32', error: ToleranceError,
    message: /rtol 3e-8 cannot be met in float32 \(y0's dtype\): it is below the dtype's unit roundoff 6e-8 \(eps\/2, eps = 1\.2e-7\).*; pass rtol ≥ 1\.2e-7, or solve in float64 \(the cpu backend\)/,
    setup: (dev, env) => (dev.dtype === 'float32' ? dev : env.other).tensor([1, 2]), act: (y0) => odeint(decay, y0, [0, 1], { rtol: 3e-8 }),
  }),
  bad({
    name: 'atol too small for the first step of a zero component (float64)', error: ToleranceError,
    message: /the first step cannot be chosen: f\(t0, y0\) divided by the tolerance scale atol \+ rtol·\|y0\| overflows float64 \(atol = 1e-300, rtol = 1e-7; where y0 is 0 the scale is atol\).*raise atol \(or pass firstStep\)/,
    setup: (dev, env) => (dev.dtype === 'float64' ? dev : env.other).tensor([0, 1]), act: (y0) => odeint((_t, y) => y.neg().add(1e10), y0, [0, 1], { atol: 1e-300 }),
  }),
  bad({
    name: "adjointAtol too small for the first step of the adjoint's backward solve (float64)", error: ToleranceError,
    message: /the continuous adjoint's backward solve from t = 1 to 0 failed: the first step cannot be chosen: .*overflows float64 \(atol = 1e-300.*\(this solve's atol and rtol are odeint's adjointAtol and adjointRtol\)$/,
    setup: async (dev, env) => solved(dev.dtype === 'float64' ? dev : env.other, (W) => (_t, y) => y.mul(W).add(1e10), { gradient: 'adjoint', adjointAtol: 1e-300 }),
    act: ({ y0, W, loss }) => grad(loss, [y0, W]),
  }),

  // ---- During the solve ----
  bad({ name: 'maxSteps exceeded by an adaptive solve', error: MaxStepsExceededError, message: /maxSteps \(3\) exceeded at t = /, setup: y0Of, act: (y0) => odeint(decay, y0, [0, 10], { maxSteps: 3 }) }),
  bad({ name: 'a fixed-step solve needing more than maxSteps', error: MaxStepsExceededError, message: /maxSteps \(10\) would be exceeded: stepSize 1e-12 needs/, setup: y0Of, act: (y0) => odeint(decay, y0, [0, 1], { method: 'rk4', stepSize: 1e-12, maxSteps: 10 }) }),
  bad({ name: 'a step size that no longer advances t', error: StepSizeUnderflowError, message: /step size underflow at t = 1000000: h = 1e-300/, setup: y0Of, act: (y0) => odeint(decay, y0, [1e6, 1e6 + 1], { firstStep: 1e-300 }) }),
  bad({ name: 'a step size that no longer advances t, decreasing t', error: StepSizeUnderflowError, message: /step size underflow at t = 1000001: h = 1e-300/, setup: y0Of, act: (y0) => odeint(decay, y0, [1e6 + 1, 1e6], { firstStep: 1e-300 }) }),
  bad({ name: 'a NaN derivative', error: NonFiniteStateError, message: /non-finite derivative f\(t0, y0\) at t = 0/, setup: (dev) => dev.tensor([-1, 1]), act: (y0) => odeint((_t, y) => y.log(), y0, [0, 1]) }),
  bad({ name: 'a fixed-step blow-up', error: NonFiniteStateError, message: /non-finite state between t = 0 and t = 1/, setup: (dev) => dev.tensor([1]), act: (y0) => odeint((_t, y) => y.square().mul(50), y0, [0, 1], { method: 'euler', stepSize: 0.1 }) }),

  ...(['symplectic-adjoint', 'backprop'] as const).map((gradient) =>
    bad({
      name: `an op in f failing halfway through a solve that records gradients (${gradient})`, error: ShapeError, message: /matmul: inner dimensions differ/,
      setup: (dev) => ({ W: dev.tensor([[0.5, 0], [0, -0.5]], undefined, { requiresGrad: true }), bad: dev.ones([3, 3]), y0: dev.tensor([[1, 2]], undefined, { requiresGrad: true }) }),
      act: ({ W, bad, y0 }) => odeint((t, y) => (t < 0.5 ? y.matmul(W).tanh() : y.matmul(bad)), y0, [0, 1], { method: 'rk4', stepSize: 0.1, gradient }),
    }),
  ),

  // ---- Backward ----
  ...(['symplectic-adjoint', 'checkpoint', 'adjoint', 'recompute'] as const).map((gradient) =>
    bad({ name: `NaN in the adjoint (${gradient})`, error: NonFiniteGradientError, message: nonFiniteMessage[gradient], setup: (dev) => solved(dev, sqrtField, { method: 'rk4', stepSize: 0.5, gradient }), act: ({ y0, W, loss }) => grad(loss, [y0, W]) }),
  ),
  // For t < 0.5, sqrt(|W − 1|) at W = 1: y and a stay finite (f = 0, f_y = 0) but f_W is not, so g_θ turns NaN
  // inside the interval, where the seminorm's step error never sees it: checkBackward's check must.
  bad({
    name: "NaN in the parameter gradient only (adjoint, adjointNorm 'seminorm')", error: NonFiniteGradientError,
    message: /the continuous adjoint's state became NaN in the backward solve reaching output 0 \(t = 0\); pass \{ checkBackward: false \}/,
    setup: (dev) => solved(dev, (W) => (t, y) => y.device.tidy(() => y.mul(t < 0.5 ? W.sub(1).abs().sqrt() : W.sub(1))), { gradient: 'adjoint', adjointNorm: 'seminorm' }),
    act: ({ y0, W, loss }) => grad(loss, [y0, W]),
  }),
  bad({ name: 'createGraph through the continuous adjoint', error: HigherOrderGradientError, message: /reached 'odeint\(rk4, adjoint\)', whose backward cannot be differentiated again/, setup: (dev) => solved(dev, linearField, { method: 'rk4', stepSize: 0.5, gradient: 'adjoint' }), act: ({ y0, W, loss }) => grad(loss, [y0, W], { createGraph: true }) }),
  bad({ name: 'grad for an input the solution does not depend on', error: UnusedInputError, message: /does not depend on input 1 \(shape \[3\]\)/, setup: async (dev) => ({ ...(await solved(dev, linearField, { method: 'rk4', stepSize: 0.5 })), z: dev.ones([3], { requiresGrad: true }) }), act: ({ y0, z, loss }) => grad(loss, [y0, z]) }),
  // Backprop's graph holds what it saved, so it needs nothing of f's closure; the others evaluate f again.
  ...(['symplectic-adjoint', 'checkpoint', 'adjoint', 'recompute'] as const).map((gradient) =>
    bad({
      name: `a parameter disposed between the solve and backward (${gradient})`, error: DisposedTensorError,
      message: /was used after it was disposed, inside the ODE function at t = [\d.]+; keep what f reads alive until backward has run/,
      setup: async (dev) => {
        const s = await solved(dev, linearField, { method: 'rk4', stepSize: 0.25, gradient });
        s.W.dispose();
        return s;
      },
      act: ({ y0, loss }) => grad(loss, [y0]),
    }),
  ),
  bad({
    name: 'a parameter f starts reading after its first evaluation', error: UntrackedParameterError,
    message: /f reads tensor #\d+ \(shape \[1\]\), which requires grad, but it was not among the parameters found at f's first evaluation; pass it in odeint's `params`/,
    setup: async (dev) => {
      const W = dev.tensor([0.5], [1], { requiresGrad: true });
      const late = dev.tensor([0.25], [1], { requiresGrad: true });
      const y0 = dev.tensor([1, 2]);
      const f = (t: number, y: Tensor) => dev.tidy(() => (t < 0.2 ? y.mul(W) : y.mul(W).add(late)));
      const ys = await odeint(f, y0, [0, 1], { method: 'rk4', stepSize: 0.1 });
      return { W, late, y0, ys, loss: dev.tidy(() => ys.square().sum()) };
    },
    act: ({ W, loss }) => grad(loss, [W]),
  }),
  bad({
    name: 'a parameter updated in place (optimizer step) between the solve and grad', error: InPlaceModificationError,
    message: /tensor #\d+ \(shape \[1\]\), needed by the backward of 'odeint\(rk4, symplectic-adjoint\)', was modified in place by Adam\.step/,
    setup: async (dev) => {
      const W = dev.tensor([0.5], [1], { requiresGrad: true });
      const y0 = dev.tensor([1, 2]);
      const ys = await odeint((_t: number, y: Tensor) => dev.tidy(() => y.mul(W)), y0, [0, 1], { method: 'rk4', stepSize: 0.1 });
      const loss = dev.tidy(() => ys.square().sum());
      W.grad = dev.onesLike(W);
      const opt = new optim.Adam([W]);
      opt.step();
      return { W, y0, ys, loss, opt };
    },
    act: ({ W, loss }) => grad(loss, [W]),
    teardown: ({ opt, ...rest }, dev) => { opt.dispose(); dev.dispose(rest); },
  }),
];

badInputSuite('odeint bad input', cases);
