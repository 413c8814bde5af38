/**
 * Bad input to @sympode/tensor, case by case, on cpu and webgpu: each is a specific SympodeError whose message
 * names the problem, leaves the allocator at its baseline and the device working (see helpers/bad-input.ts).
 */
import { expect } from 'vitest';
import {
  combineTerms, concat, createDevice, customVjp, DeviceDestroyedError, DeviceLimitError, DisposedTensorError, grad, GraphFreedError, HigherOrderGradientError,
  InPlaceModificationError, InvalidArgumentError, nn, NonFiniteError, optim, Rng, ShapeError, stack, UnusedInputError, where, type Device, type Tensor,
} from '@sympode/tensor';
import { bad, badInputSuite, type Env } from '../helpers/bad-input.js';

const x23 = (dev: Device) => dev.tensor([[1, 2, 3], [4, 5, 6]]);
const leaf = (dev: Device, data: number[] = [1, 2]) => dev.tensor(data, [data.length], { requiresGrad: true });

/** An MLP 2→3→2 and its state, for the loadStateDict cases; `after` checks nothing was written. */
async function module(dev: Device) {
  const mlp = new nn.MLP(dev, [2, 3, 2], 'tanh', { seed: 0 });
  return { mlp, state: await mlp.stateDict() };
}
type Mod = Awaited<ReturnType<typeof module>>;
const unchanged = async ({ mlp, state }: Mod) => expect(await mlp.stateDict()).toEqual(state);
const freeModule = ({ mlp }: Mod) => mlp.dispose();
const loadCase = (name: string, error: typeof ShapeError, message: RegExp, edit: (s: Mod['state']) => unknown) =>
  bad<Mod>({ name, error, message, setup: module, act: ({ mlp, state }) => mlp.loadStateDict(edit(structuredClone(state)) as Mod['state']), after: unchanged, teardown: freeModule });

/** Two parameters with gradients (the second one's bad) and an optimizer; `after` checks neither moved. */
async function stepping(dev: Device, env: Env, secondGrad: SecondGrad) {
  const p = [leaf(dev, [1, 2]), leaf(dev, [3, 4, 5])];
  p[0].grad = dev.tensor([0.5, 0.5]);
  p[1].grad = secondGrad(dev, env) as Tensor;
  const opt = new optim.Adam(p, { lr: 0.1 });
  return { p, opt, before: await Promise.all(p.map(async (t) => Array.from(await t.data()))) };
}
type Stepping = Awaited<ReturnType<typeof stepping>>;
type SecondGrad = (dev: Device, env: Env) => unknown;
const stepCase = (name: string, error: typeof ShapeError, message: RegExp, secondGrad: SecondGrad) =>
  bad<Stepping>({
    name, error, message,
    setup: (dev, env) => stepping(dev, env, secondGrad),
    act: ({ opt }) => opt.step(),
    after: async ({ p, before }) => expect(await Promise.all(p.map(async (t) => Array.from(await t.data())))).toEqual(before),
    teardown: ({ p, opt }, dev) => {
      opt.dispose();
      for (const t of p) if (typeof t.grad?.dispose !== 'function') t.grad = null;
      dev.dispose(p);
    },
  });

const cases = [
  // ---- `device.tensor` and the factories ----
  bad({ name: 'tensor: a string element', error: InvalidArgumentError, message: /element \[0\] is the string "a"; tensor data must be numbers/, act: (_, dev) => dev.tensor(['a', 1] as never) }),
  bad({ name: 'tensor: a BigInt element', error: InvalidArgumentError, message: /element \[1\] is the BigInt 2n.*Number\(\)/, act: (_, dev) => dev.tensor([1, 2n] as never) }),
  bad({ name: 'tensor: a boolean element', error: InvalidArgumentError, message: /element \[0\] is the boolean true.*1 and 0/, act: (_, dev) => dev.tensor([true, 0] as never) }),
  bad({ name: 'tensor: an object deep in a nested array', error: InvalidArgumentError, message: /element \[1\]\[1\] is an object/, act: (_, dev) => dev.tensor([[1, 2], [3, {}]] as never) }),
  bad({ name: 'tensor: null element', error: InvalidArgumentError, message: /element \[0\]\[0\] is null/, act: (_, dev) => dev.tensor([[null, 1]] as never) }),
  bad({ name: 'tensor: ragged rows', error: ShapeError, message: /ragged nested array: element \[1\] has length 1, expected an array of length 2/, act: (_, dev) => dev.tensor([[1, 2], [3]]) }),
  bad({ name: 'tensor: a number where a row should be', error: ShapeError, message: /element \[1\] is the number 3, expected an array of length 2/, act: (_, dev) => dev.tensor([[1, 2], 3] as never) }),
  bad({ name: 'tensor: a row where a number should be', error: ShapeError, message: /element \[1\] is an array, expected a number/, act: (_, dev) => dev.tensor([1, [2]] as never) }),
  bad({ name: 'tensor: NaN in a nested array', error: NonFiniteError, message: /element \[0\]\[1\] is NaN.*allowNonFinite/, act: (_, dev) => dev.tensor([[1, NaN]]) }),
  bad({ name: 'tensor: Infinity in a typed array', error: NonFiniteError, message: /element \[1\] is Infinity/, act: (_, dev) => dev.tensor(new Float32Array([1, Infinity])) }),
  bad({ name: 'tensor: null data', error: InvalidArgumentError, message: /data is null; expected a number, a nested array/, act: (_, dev) => dev.tensor(null as never) }),
  bad({ name: 'tensor: a string as data', error: InvalidArgumentError, message: /data is the string "abc"/, act: (_, dev) => dev.tensor('abc' as never) }),
  bad({ name: 'tensor: a BigInt64Array', error: InvalidArgumentError, message: /BigInt64Array.*Float64Array\.from/, act: (_, dev) => dev.tensor(new BigInt64Array(2) as never) }),
  bad({ name: 'tensor: too few values for the shape', error: ShapeError, message: /3 values do not fill shape \[2, 2\]/, act: (_, dev) => dev.tensor([1, 2, 3], [2, 2]) }),
  bad({ name: 'tensor: a shape that is not an array', error: InvalidArgumentError, message: /shape is the string "ab"/, act: (_, dev) => dev.tensor([1, 2], 'ab' as never) }),
  bad({ name: 'zeros: a negative dimension', error: ShapeError, message: /shape \[2, -1\] has an invalid dimension -1/, act: (_, dev) => dev.zeros([2, -1]) }),
  bad({ name: 'zeros: a fractional dimension', error: ShapeError, message: /invalid dimension 2\.5/, act: (_, dev) => dev.zeros([2.5]) }),
  bad({ name: 'zeros: a shape that is not an array', error: ShapeError, message: /shape must be an array of dimension sizes, got 3/, act: (_, dev) => dev.zeros(3 as never) }),
  bad({ name: 'full: a string value', error: InvalidArgumentError, message: /full: value is the string "x"; expected a number/, act: (_, dev) => dev.full([2], 'x' as never) }),
  bad({ name: 'full: NaN', error: NonFiniteError, message: /full: value is NaN/, act: (_, dev) => dev.full([2], NaN) }),
  bad({ name: 'randn: a NaN seed', error: InvalidArgumentError, message: /randn: seed is the number NaN/, act: (_, dev) => dev.randn([2], { seed: NaN }) }),
  bad({ name: 'Linear: a NaN seed', error: InvalidArgumentError, message: /Linear\(2, 3\): seed is the number NaN; expected a finite number/, act: (_, dev) => new nn.Linear(dev, 2, 3, { seed: NaN }) }),
  bad({ name: 'Rng: a NaN seed', error: InvalidArgumentError, message: /Rng: seed is the number NaN; expected a finite number/, act: () => new Rng(NaN) }),
  bad({ name: 'zeros: more elements than the backend can hold', error: DeviceLimitError, message: /a buffer of \d+ bytes .*nothing was allocated\. Split the work into smaller batches or chunks/, act: (_, dev) => dev.zeros([2 ** 25, 2 ** 25]) }),
  bad({ name: 'randn: more elements than the backend can hold', error: DeviceLimitError, message: /a buffer of \d+ bytes .*nothing was allocated/, act: (_, dev) => dev.randn([2 ** 25, 2 ** 25], { seed: 1 }) }),
  bad({ name: 'rand: low above high', error: InvalidArgumentError, message: /rand: the range \[1, 0\) must be finite numbers with low ≤ high/, act: (_, dev) => dev.rand([2], 1, 0) }),

  // ---- `createDevice` ----
  bad({ name: 'createDevice: a misspelt option', error: InvalidArgumentError, message: /createDevice: unknown option 'dtyp' \(known: backend, dtype, seed, log, kernelStyle, gpu, adapter, device, powerPreference, threads\)/, act: () => createDevice({ backend: 'cpu', dtyp: 'float32' } as never) }),
  bad({ name: 'createDevice: threads 0', error: InvalidArgumentError, message: /createDevice: threads must be an integer from 1 to 64, got the number 0/, act: () => createDevice({ backend: 'cpu', threads: 0 }) }),
  bad({ name: 'createDevice: a NaN seed', error: InvalidArgumentError, message: /createDevice: seed is the number NaN; expected a finite number/, act: () => createDevice({ backend: 'cpu', seed: NaN }) }),
  bad({ name: 'createDevice: an option that is null', error: InvalidArgumentError, message: /createDevice: dtype is null; leave it out \(or undefined\) for the default/, act: () => createDevice({ backend: 'cpu', dtype: null } as never) }),
  bad({ name: 'createDevice: options null', error: InvalidArgumentError, message: /createDevice: options must be an object, got null/, act: () => createDevice(null as never) }),
  bad({ name: 'createDevice: a log that is not a function', error: InvalidArgumentError, message: /createDevice: log must be a function \(message\) => void, got the string "info"/, act: () => createDevice({ log: 'info' } as never) }),

  // ---- Ops ----
  bad({ name: 'add: operands on different devices', error: InvalidArgumentError, message: /add: tensors live on different devices \(operand 1 on cpu/, setup: (dev, env) => [dev.ones([2]), env.other.ones([2])], act: ([a, b]) => a.add(b), teardown: (xs) => xs.forEach((t) => t.dispose()) }),
  bad({ name: 'matmul: operands on different devices', error: InvalidArgumentError, message: /matmul: tensors live on different devices/, setup: (dev, env) => [dev.ones([2, 2]), env.other.ones([2, 2])], act: ([a, b]) => a.matmul(b), teardown: (xs) => xs.forEach((t) => t.dispose()) }),
  bad({ name: 'add: a string operand', error: InvalidArgumentError, message: /add: the operand is the string "3"; expected a Tensor or a number/, setup: x23, act: (x) => x.add('3' as never) }),
  bad({ name: 'mul: a NaN scalar', error: NonFiniteError, message: /mul: scalar operand is NaN/, setup: x23, act: (x) => x.mul(NaN) }),
  bad({ name: 'matmul: inner dimensions differ', error: ShapeError, message: /\[2, 3\] · \[4, 5\].*3 vs 4/, setup: (dev) => [dev.zeros([2, 3]), dev.zeros([4, 5])], act: ([a, b]) => a.matmul(b) }),
  bad({ name: 'matmul: a 1-D operand', error: ShapeError, message: /operands must be 2-D or 3-D, got \[2\]/, setup: (dev) => [dev.zeros([2]), dev.zeros([2, 2])], act: ([a, b]) => a.matmul(b) }),
  bad({ name: 'matmul: a non-tensor operand', error: InvalidArgumentError, message: /matmul: operand 1 is an array of length 2; expected a Tensor/, setup: x23, act: (x) => x.matmul([1, 2] as never) }),
  bad({ name: 'add: shapes that do not broadcast', error: ShapeError, message: /\[2, 3\] and \[4\] cannot be broadcast together \(dimension 1: 3 vs 4\)/, setup: (dev) => [x23(dev), dev.zeros([4])], act: ([a, b]) => a.add(b) }),
  bad({ name: 'reshape: wrong element count', error: ShapeError, message: /\[2, 3\] \(6 elements\) cannot become \[4, 2\]/, setup: x23, act: (x) => x.reshape([4, 2]) }),
  bad({ name: 'reshape: -1 that cannot be inferred', error: ShapeError, message: /cannot infer -1 in \[4, -1\] for 6 elements/, setup: x23, act: (x) => x.reshape([4, -1]) }),
  bad({ name: 'reshape: a shape that is not an array', error: ShapeError, message: /reshape: the shape must be an array, got the number 6/, setup: x23, act: (x) => x.reshape(6 as never) }),
  bad({ name: 'sum: an axis out of range', error: ShapeError, message: /axis 2 is out of range for a tensor of rank 2 \(valid: -2 to 1\)/, setup: x23, act: (x) => x.sum(2) }),
  bad({ name: 'sum: an axis that is not a number', error: ShapeError, message: /axis must be a number or an array of numbers, got an object/, setup: x23, act: (x) => x.sum({} as never) }),
  bad({ name: 'narrow: a region past the end', error: ShapeError, message: /slice: region start \[0, 2\] size \[2, 2\] does not fit in \[2, 3\]/, setup: x23, act: (x) => x.narrow(1, 2, 2) }),
  bad({ name: 'slice: a malformed range', error: ShapeError, message: /slice: range 0 is an array of length 3; expected \[start, end\] or null/, setup: x23, act: (x) => x.slice([[0, 1, 2]] as never) }),
  bad({ name: 'transpose: not a permutation', error: ShapeError, message: /\[0, 0\] is not a permutation of the 2 axes/, setup: x23, act: (x) => x.transpose([0, 0]) }),
  bad({ name: 'broadcastTo: an incompatible shape', error: ShapeError, message: /\[2, 3\] and \[3, 3\] cannot be broadcast/, setup: x23, act: (x) => x.broadcastTo([3, 3]) }),
  bad({ name: 'concat: shapes differ off the axis', error: ShapeError, message: /concat along axis 0: tensor 1 has shape \[2, 4\].*tensor 0's \[2, 3\]/, setup: (dev) => [dev.zeros([2, 3]), dev.zeros([2, 4])], act: (xs) => concat(xs, 0) }),
  bad({ name: 'stack: the third shape differs', error: ShapeError, message: /stack: tensor 2 has shape \[3\], tensor 0 has \[2\]/, setup: (dev) => [dev.zeros([2]), dev.zeros([2]), dev.zeros([3])], act: (xs) => stack(xs) }),
  bad({ name: 'concat: no tensors', error: ShapeError, message: /concat: no tensors/, act: () => concat([]) }),
  bad({ name: 'stack: not an array', error: InvalidArgumentError, message: /stack: expected an array of tensors, got a Tensor/, setup: x23, act: (x) => stack(x as never) }),
  bad({ name: 'where: a branch on another device', error: InvalidArgumentError, message: /where: tensors live on different devices/, setup: (dev, env) => [dev.ones([2]), env.other.ones([2])], act: ([c, b]) => where(c, 1, b), teardown: (xs) => xs.forEach((t) => t.dispose()) }),
  bad({ name: 'where: a NaN scalar branch', error: NonFiniteError, message: /where: scalar operand is NaN/, setup: (dev) => dev.ones([2]), act: (c) => where(c, 1, NaN) }),
  bad({ name: 'combineTerms: a term of another shape', error: ShapeError, message: /combineTerms: term 1 \[3\] is not of the base's shape \[2\]/, setup: (dev) => [dev.ones([2]), dev.ones([2]), dev.ones([3])], act: ([y, a, b]) => combineTerms(y, [a, b], [1, 1]) }),
  bad({ name: 'combineTerms: fewer coefficients than terms', error: ShapeError, message: /combineTerms: 1 coefficients for 2 terms/, setup: (dev) => [dev.ones([2]), dev.ones([2])], act: ([y, a]) => combineTerms(y, [a, a], [1]) }),
  bad({ name: 'combineTerms: a NaN coefficient', error: NonFiniteError, message: /combineTerms: coefficient 1: scalar operand is NaN/, setup: (dev) => [dev.ones([2]), dev.ones([2])], act: ([y, a]) => combineTerms(y, [a, a], [1, NaN]) }),
  bad({ name: 'combineTerms: terms not an array', error: InvalidArgumentError, message: /combineTerms: terms must be an array of tensors, got a Tensor/, setup: (dev) => dev.ones([2]), act: (y) => combineTerms(y, y as never, [1]) }),
  bad({ name: 'combineTerms: a term on another device', error: InvalidArgumentError, message: /combineTerms: tensors live on different devices/, setup: (dev, env) => [dev.ones([2]), env.other.ones([2])], act: ([y, a]) => combineTerms(y, [a], [1]), teardown: (xs) => xs.forEach((t) => t.dispose()) }),
  bad({ name: 'item: more than one element', error: ShapeError, message: /item\(\) needs a one-element tensor, got shape \[2, 3\]/, setup: x23, act: (x) => x.item() }),

  // ---- Lifetimes ----
  bad({ name: 'an op on a disposed tensor', error: DisposedTensorError, message: /tensor #\d+ \(shape \[2, 3\]\) was used after it was disposed/, setup: (dev) => { const x = x23(dev); x.dispose(); return x; }, act: (x) => x.add(1) }),
  bad({ name: 'a tensor used after its tidy ended', error: DisposedTensorError, message: /was used after it was disposed/, setup: (dev) => { let inner!: Tensor; dev.tidy(() => { inner = dev.ones([2]); }); return inner; }, act: (x) => x.exp() }),
  bad({ name: 'readback of a disposed tensor', error: DisposedTensorError, message: /was used after it was disposed/, setup: (dev) => { const x = x23(dev); x.dispose(); return x; }, act: (x) => x.data() }),
  bad({ name: 'a factory of a destroyed device', error: DeviceDestroyedError, message: /device \(float(32|64)\) was destroyed; create a new one with createDevice\(\)/, act: (_, _dev, env) => env.dead.zeros([2]) }),
  bad({ name: 'tensor() on a destroyed device', error: DeviceDestroyedError, message: /was destroyed/, act: (_, _dev, env) => env.dead.tensor([1, 2]) }),
  bad({ name: 'an op on a tensor of a destroyed device', error: DeviceDestroyedError, message: /was destroyed/, act: (_, _dev, env) => env.deadTensor.add(1) }),
  bad({ name: 'readback of a tensor of a destroyed device', error: DeviceDestroyedError, message: /was destroyed/, act: (_, _dev, env) => env.deadTensor.data() }),
  bad({ name: 'a live tensor with one of a destroyed device', error: DeviceDestroyedError, message: /was destroyed/, setup: (dev) => dev.ones([2]), act: (x, _dev, env) => x.mul(env.deadTensor) }),

  bad({ name: 'tidy of something that is not a function', error: InvalidArgumentError, message: /tidy expects a function, got the number 5/, act: (_, dev) => dev.tidy(5 as never) }),
  bad({ name: 'keep of something that is not a tensor', error: InvalidArgumentError, message: /keep expects a Tensor, got undefined/, act: (_, dev) => dev.keep(undefined as never) }),
  bad({ name: 'memory.scope without a label', error: InvalidArgumentError, message: /memory\.scope: the label must be a string, got undefined/, act: (_, dev) => dev.memory.scope(undefined as never, () => 1) }),

  // ---- Autograd ----
  bad({ name: 'gradOutput that is not a tensor', error: InvalidArgumentError, message: /gradOutput must be a Tensor, got an array of length 2/, setup: (dev) => { const x = leaf(dev); return { x, y: x.square() }; }, act: ({ x, y }) => grad(y, [x], { gradOutput: [1, 1] as never }) }),
  bad({ name: 'grad with options null', error: InvalidArgumentError, message: /grad: options must be an object, got null/, setup: (dev) => { const x = leaf(dev); return { x, y: dev.tidy(() => x.sum()) }; }, act: ({ x, y }) => grad(y, [x], null as never) }),
  bad({ name: 'customVjp with an output that is not a tensor', error: InvalidArgumentError, message: /customVjp 'c': the output must be a Tensor, got the number 1/, setup: (dev) => leaf(dev), act: (x) => customVjp('c', [x], 1 as never, (g) => [g]) }),
  bad({ name: 'grad of a non-scalar without gradOutput', error: ShapeError, message: /grad of a non-scalar output \[2\] needs \{ gradOutput \}/, setup: (dev) => { const x = leaf(dev); return { x, y: x.square() }; }, act: ({ x, y }) => grad(y, [x]) }),
  bad({ name: 'gradOutput of the wrong size', error: ShapeError, message: /gradOutput \[3\] does not match output \[2\]/, setup: (dev) => { const x = leaf(dev); return { x, y: x.square(), g: dev.ones([3]) }; }, act: ({ x, y, g }) => grad(y, [x], { gradOutput: g }) }),
  bad({ name: 'backward twice through a freed graph', error: GraphFreedError, message: /a second time.*retainGraph: true/, setup: async (dev) => { const x = leaf(dev); const y = dev.tidy(() => x.mul(x).sum()); await y.backward(); return { x, y }; }, act: ({ y }) => y.backward() }),
  bad({ name: 'grad for an input that does not require grad', error: InvalidArgumentError, message: /grad: input 0 \(shape \[2\]\) does not require grad/, setup: (dev) => { const c = dev.ones([2]); const x = leaf(dev); return { c, y: dev.tidy(() => x.mul(c).sum()), x }; }, act: ({ c, y }) => grad(y, [c]) }),
  bad({ name: 'grad for an unused input', error: UnusedInputError, message: /does not depend on input 1 \(shape \[3\]\); pass \{ allowUnused: true \}/, setup: (dev) => { const x = leaf(dev); const z = leaf(dev, [1, 2, 3]); return { x, z, y: x.sum() }; }, act: ({ x, z, y }) => grad(y, [x, z]) }),
  bad({ name: 'backward of a tensor without a graph', error: InvalidArgumentError, message: /backward: the output does not require grad/, setup: (dev) => dev.ones([1]), act: (y) => y.backward() }),
  bad({ name: 'customVjp returning a gradient of the wrong shape', error: ShapeError, message: /the backward of 'bad' returned shape \[\] as the gradient of input 0 \(shape \[2\]\)/, setup: (dev) => { const x = leaf(dev); const out = customVjp('bad', [x], dev.noGrad(() => x.mul(2)), (g) => [g.sum()]); return { x, out, loss: out.sum() }; }, act: ({ x, loss }) => grad(loss, [x]) }),
  bad({ name: 'createGraph through a customVjp without a differentiable backward', error: HigherOrderGradientError, message: /reached 'once', whose backward cannot be differentiated again/, setup: (dev) => { const x = leaf(dev); const out = customVjp('once', [x], dev.noGrad(() => x.mul(2)), (g) => [g.mul(2)]); return { x, out, loss: out.sum() }; }, act: ({ x, loss }) => grad(loss, [x], { createGraph: true }) }),
  bad({
    name: 'a saved tensor modified in place (optimizer step) before backward', error: InPlaceModificationError,
    message: /tensor #\d+ \(shape \[2\]\), needed by the backward of 'mul', was modified in place by SGD\.step after it was used \(version 1, expected 0\)/,
    setup: (dev) => {
      const w = leaf(dev);
      const loss = dev.tidy(() => w.mul(w).sum());
      w.grad = dev.onesLike(w);
      const opt = new optim.SGD([w], { lr: 0.1 });
      opt.step();
      return { w, loss, opt };
    },
    act: ({ loss }) => loss.backward(),
    teardown: ({ w, loss, opt }, dev) => { opt.dispose(); dev.dispose(w, loss); },
  }),
  bad({ name: 'requiresGrad changed on a non-leaf', error: InvalidArgumentError, message: /requiresGrad can only be changed on leaf tensors/, setup: (dev) => { const x = leaf(dev); return { x, y: x.mul(2) }; }, act: ({ y }) => { y.requiresGrad = false; } }),

  // ---- `nn` ----
  loadCase('loadStateDict: too few values', ShapeError, /'layers\.0\.weight' has 2 values for shape \[3, 2\] \(6 expected\)/, (s) => ((s['layers.0.weight'].data = [1, 2]), s)),
  loadCase('loadStateDict: a null value', InvalidArgumentError, /'layers\.1\.bias'\.data\[1\] is null; expected a number/, (s) => ((s['layers.1.bias'].data[1] = null as never), s)),
  loadCase('loadStateDict: a NaN value', NonFiniteError, /'layers\.0\.bias'\.data\[0\] is NaN; parameters must be finite/, (s) => ((s['layers.0.bias'].data[0] = NaN), s)),
  loadCase('loadStateDict: a missing parameter', InvalidArgumentError, /missing parameter 'layers\.1\.bias'/, (s) => (delete (s as Record<string, unknown>)['layers.1.bias'], s)),
  loadCase('loadStateDict: an unexpected parameter', InvalidArgumentError, /unexpected parameter 'extra'; the module has layers\.0\.weight/, (s) => ({ ...s, extra: { shape: [1], data: [1] } })),
  loadCase('loadStateDict: a wrong shape', ShapeError, /'layers\.1\.weight' has shape \[3, 2\], the module expects \[2, 3\]/, (s) => ((s['layers.1.weight'].shape = [3, 2]), s)),
  loadCase('loadStateDict: null', InvalidArgumentError, /expected an object of \{ shape, data \} entries.*got null/, () => null),
  bad({ name: 'Linear: a fractional size', error: InvalidArgumentError, message: /Linear\(2\.5, 3\): sizes must be positive integers/, act: (_, dev) => new nn.Linear(dev, 2.5, 3) }),
  bad({ name: 'Linear: an input with the wrong features', error: ShapeError, message: /Linear\(2, 3\): input \[4, 5\] has 5 features/, setup: (dev) => ({ l: new nn.Linear(dev, 2, 3, { seed: 0 }), x: dev.ones([4, 5]) }), act: ({ l, x }) => l.forward(x), teardown: ({ l, x }) => { l.dispose(); x.dispose(); } }),
  bad({ name: 'MLP: an unknown activation', error: InvalidArgumentError, message: /unknown activation 'gelu' \(expected tanh, relu, sigmoid or softplus\)/, act: (_, dev) => new nn.MLP(dev, [2, 2], 'gelu' as never) }),

  // ---- `optim` ----
  bad({ name: 'Adam: beta1 = 1', error: InvalidArgumentError, message: /betas\[0\] must be a number with 0 ≤ betas\[0\] < 1, got 1/, setup: (dev) => leaf(dev), act: (p) => new optim.Adam([p], { betas: [1, 0.999] }) }),
  bad({ name: 'Adam: betas not a pair', error: InvalidArgumentError, message: /betas must be a pair \[beta1, beta2\]/, setup: (dev) => leaf(dev), act: (p) => new optim.Adam([p], { betas: [0.9] as never }) }),
  bad({ name: 'Adam: eps = 0', error: InvalidArgumentError, message: /eps must be a positive finite number, got 0/, setup: (dev) => leaf(dev), act: (p) => new optim.Adam([p], { eps: 0 }) }),
  bad({ name: 'Adam: negative weightDecay', error: InvalidArgumentError, message: /weightDecay must be a number with 0 ≤ weightDecay < ∞, got -1/, setup: (dev) => leaf(dev), act: (p) => new optim.Adam([p], { weightDecay: -1 }) }),
  bad({ name: 'Adam: NaN learning rate', error: InvalidArgumentError, message: /learning rate must be a positive finite number, got NaN/, setup: (dev) => leaf(dev), act: (p) => new optim.Adam([p], { lr: NaN }) }),
  bad({ name: 'SGD: momentum above 1', error: InvalidArgumentError, message: /momentum must be a number with 0 ≤ momentum < 1, got 1\.5/, setup: (dev) => leaf(dev), act: (p) => new optim.SGD([p], { lr: 0.1, momentum: 1.5 }) }),
  bad({ name: 'SGD: nesterov without momentum', error: InvalidArgumentError, message: /nesterov momentum needs momentum > 0 and dampening 0/, setup: (dev) => leaf(dev), act: (p) => new optim.SGD([p], { lr: 0.1, nesterov: true }) }),
  bad({ name: 'SGD: a misspelt option', error: InvalidArgumentError, message: /SGD: unknown option 'weight_decay' \(known: lr, momentum, dampening, nesterov, weightDecay\)/, setup: (dev) => leaf(dev), act: (p) => new optim.SGD([p], { lr: 0.1, weight_decay: 1 } as never) }),
  bad({ name: 'optimizer: a parameter that is not a tensor', error: InvalidArgumentError, message: /Adam: parameter 1 is the number 1; expected a Tensor/, setup: (dev) => leaf(dev), act: (p) => new optim.Adam([p, 1 as never]) }),
  bad({ name: 'optimizer: a parameter listed twice', error: InvalidArgumentError, message: /parameter 1 is the same tensor as parameter 0/, setup: (dev) => leaf(dev), act: (p) => new optim.Adam([p, p]) }),
  bad({ name: 'optimizer: a parameter that does not require grad', error: InvalidArgumentError, message: /parameter 0 \(shape \[2\]\) does not require grad/, setup: (dev) => dev.ones([2]), act: (p) => new optim.SGD([p], { lr: 0.1 }) }),
  bad({ name: 'optimizer: a non-leaf parameter', error: InvalidArgumentError, message: /parameter 0 \(shape \[2\]\) was computed by an op/, setup: (dev) => { const p = leaf(dev); return { p, q: p.mul(2) }; }, act: ({ q }) => new optim.Adam([q]) }),
  bad({ name: 'optimizer: a disposed parameter', error: DisposedTensorError, message: /was used after it was disposed/, setup: (dev) => { const p = leaf(dev); p.dispose(); return p; }, act: (p) => new optim.Adam([p]) }),
  stepCase('step: a gradient of the wrong shape', ShapeError, /Adam: the \.grad of parameter 1 has shape \[2\], the parameter \[3\]/, (dev) => dev.ones([2])),
  stepCase('step: a gradient on another device', InvalidArgumentError, /the \.grad of parameter 1 lives on a different device \(cpu\)/, (_dev, env) => env.other.ones([3])),
  stepCase('step: a gradient that is not a tensor', InvalidArgumentError, /parameter 1 has a \.grad that is an array of length 3; expected a Tensor or null/, () => [1, 2, 3]),
  stepCase('step: a disposed gradient', DisposedTensorError, /the \.grad of parameter 1 was disposed; set it to null/, (dev) => { const g = dev.ones([3]); g.dispose(); return g; }),
  bad({
    name: 'step after dispose()', error: InvalidArgumentError, message: /Adam\.step\(\) after dispose\(\): create a new optimizer/,
    setup: (dev) => {
      const p = leaf(dev);
      p.grad = dev.ones([2]);
      const opt = new optim.Adam([p]);
      opt.dispose();
      return { p, opt };
    },
    act: ({ opt }) => opt.step(),
    teardown: ({ p }) => p.dispose(),
  }),
];

badInputSuite('@sympode/tensor bad input', cases);
