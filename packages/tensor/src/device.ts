/**
 * Device: one backend, one allocator, the tensor factories and the lifetime tools (`tidy`, `keep`).
 */
import type { Backend, DType } from './backends/backend.js';
import { DeviceDestroyedError, InvalidArgumentError, NonFiniteError } from './errors.js';
import { Allocator } from './memory/allocator.js';
import { Memory } from './memory/memory.js';
import { checkSeed, Rng } from './random.js';
import { checkFunction, describe } from './args.js';
import { hostData } from './host-data.js';
import { checkShape, sizeOf, type Shape } from './shape.js';
import { Storage } from './storage.js';
import { Tensor } from './tensor.js';
import { chooseBackend } from './backend-choice.js';
import type { KernelStyle, WebGpuOptions } from './backends/webgpu/public-types.js';
import { noGrad } from './autograd.js';
import { currentContext, innermost, runWith, type TidyScope } from './context.js';

/** The compute backends: 'webgpu' (float32 kernels on a GPU) and 'cpu' (float64 or float32 typed arrays). */
export type BackendName = 'webgpu' | 'cpu';

/**
 * Options of {@link createDevice}. The WebGPU objects (`gpu`, `adapter`, `device`, `powerPreference`) let you
 * run on your own GPUDevice; handing one in selects the webgpu backend.
 */
export interface DeviceOptions extends WebGpuOptions {
  /** 'webgpu' (float32, Dawn) or 'cpu' (float64 by default). Omitted: webgpu when an adapter exists, else cpu. */
  backend?: BackendName;
  /** cpu: 'float64' (default) or 'float32'; webgpu supports 'float32' only. */
  dtype?: DType;
  /** Seed of the device's default random stream (used when `randn`/`rand` get no seed): a finite number. Default 0. */
  seed?: number;
  /** Called with a one-line note when `backend` was omitted and the choice was made automatically. */
  log?: (message: string) => void;
  /** webgpu: kernel variants tuned for GPUs ('gpu') or software adapters ('cpu'); default chosen from the adapter. */
  kernelStyle?: KernelStyle;
  /**
   * cpu: the most threads a large matrix product uses (worker threads on one shared WebAssembly memory), an
   * integer ≥ 1; default the cores the runtime reports. Results do not depend on it (threads split the
   * outputs, never a sum). In a browser, threads run when the backend is in a Web Worker of a cross-origin
   * isolated page; a page's main thread, and runtimes without workers, run one.
   */
  threads?: number;
}

/** Nested arrays of numbers (any depth). */
export type NestedArray = number | readonly NestedArray[];

/** Options of the tensor factories (`device.tensor`, `zeros`, `full`, ...). */
export interface TensorOptions {
  requiresGrad?: boolean;
  /** Accept NaN/±Infinity in the data (rejected by default with a NonFiniteError). */
  allowNonFinite?: boolean;
}

/** Options of the random factories (`device.randn`, `device.rand`). */
export interface RandomOptions {
  seed?: number;
  requiresGrad?: boolean;
}

/**
 * A compute device: one backend, one allocator that counts every byte (`memory`), the tensor factories and
 * the lifetime tools (`tidy`, `keep`, `dispose`). Create one with {@link createDevice}.
 */
export class Device {
  readonly memory: Memory;
  /** @internal */
  readonly _allocator: Allocator;
  private rng: Rng;
  private destroyedFlag = false;

  constructor(readonly backend: Backend, seed = 0) {
    checkSeed('Device', seed);
    this._allocator = new Allocator(backend);
    this.memory = new Memory(this._allocator);
    this.rng = new Rng(seed);
  }

  get kind(): BackendName {
    return this.backend.kind;
  }
  get dtype(): DType {
    return this.backend.dtype;
  }
  /** True after `destroy()`: every op, factory and readback on this device then throws DeviceDestroyedError. */
  get destroyed(): boolean {
    return this.destroyedFlag;
  }

  /** @internal Throws DeviceDestroyedError after `destroy()`. */
  _checkAlive(): void {
    if (this.destroyedFlag) {
      throw new DeviceDestroyedError(`the ${this.kind} device (${this.dtype}) was destroyed; create a new one with createDevice()`);
    }
  }

  /** @internal */
  _track(t: Tensor): void {
    this._allocator.liveTensors++;
    const scope = innermost(currentContext().tidy, this);
    if (scope) {
      scope.tensors.add(t);
      t._scope = scope;
    }
  }
  /** @internal */
  _untrack(t: Tensor): void {
    this._allocator.liveTensors--;
    t._scope?.tensors.delete(t);
    t._scope = null;
  }

  /** @internal A tensor with fresh, uninitialised storage. */
  _empty(shape: Shape, op = ''): Tensor {
    this._checkAlive();
    checkShape(shape);
    const size = sizeOf(shape);
    const own = [...shape]; // shared by the tensor and its block (neither mutates it)
    const storage = new Storage(this._allocator, this._allocator.alloc(size, own, op), size);
    return Tensor._fromStorage(this, storage, own);
  }

  /** A tensor of uninitialised contents (like `torch.empty`): for buffers every element of which is written. */
  empty(shape: Shape): Tensor {
    return this._empty(shape, 'empty');
  }

  /** A tensor from nested arrays or a flat array/typed array (then `shape` is required unless 1-D). */
  tensor(data: NestedArray | ArrayLike<number>, shape?: Shape, opts: TensorOptions = {}): Tensor {
    this._checkAlive();
    const { flat, shape: finalShape } = hostData(data, shape, opts?.allowNonFinite ?? false);
    const t = this._empty(finalShape, 'tensor');
    if (t.size) this.backend.write(t._raw, flat, 0);
    if (opts?.requiresGrad) t.requiresGrad = true;
    return t;
  }

  full(shape: Shape, value: number, opts: TensorOptions = {}): Tensor {
    if (typeof value !== 'number') throw new InvalidArgumentError(`full: value is ${describe(value)}; expected a number`);
    if (Number.isNaN(value) && !opts?.allowNonFinite) throw new NonFiniteError('full: value is NaN (pass { allowNonFinite: true } to accept it)');
    const t = this._empty(shape, 'full');
    this.backend.fill(t._raw, value, t.size);
    if (opts?.requiresGrad) t.requiresGrad = true;
    return t;
  }
  zeros(shape: Shape, opts: TensorOptions = {}): Tensor {
    return this.full(shape, 0, opts);
  }
  ones(shape: Shape, opts: TensorOptions = {}): Tensor {
    return this.full(shape, 1, opts);
  }
  zerosLike(t: Tensor): Tensor {
    return this.zeros(t.shape);
  }
  onesLike(t: Tensor): Tensor {
    return this.ones(t.shape);
  }

  /** Standard normals. With `seed`, the same numbers on every backend; without, from the device's stream. */
  randn(shape: Shape, opts: RandomOptions = {}): Tensor {
    return this.random('randn', shape, opts, (rng) => rng.normal());
  }
  /** Uniform in [low, high). */
  rand(shape: Shape, low = 0, high = 1, opts: RandomOptions = {}): Tensor {
    if (typeof low !== 'number' || typeof high !== 'number' || !Number.isFinite(low) || !Number.isFinite(high) || low > high) {
      throw new InvalidArgumentError(`rand: the range [${String(low)}, ${String(high)}) must be finite numbers with low ≤ high`);
    }
    return this.random('rand', shape, opts, (rng) => low + (high - low) * rng.uniform());
  }
  /** Reseeds the device's default random stream. */
  seed(seed: number): void {
    checkSeed('seed', seed);
    this.rng = new Rng(seed);
  }

  /** Random numbers from the seeded or default stream; the buffer comes first, so a size it refuses fails fast. */
  private random(op: string, shape: Shape, opts: RandomOptions | undefined, draw: (rng: Rng) => number): Tensor {
    checkShape(shape, `${op}: shape`);
    if (opts?.seed !== undefined) checkSeed(op, opts.seed);
    const rng = opts?.seed === undefined ? this.rng : new Rng(opts.seed);
    const t = this._empty(shape, op);
    try {
      if (t.size) this.backend.write(t._raw, Float64Array.from({ length: t.size }, () => draw(rng)), 0);
    } catch (e) {
      t.dispose();
      throw e;
    }
    if (opts?.requiresGrad) t.requiresGrad = true;
    return t;
  }

  /**
   * Runs `fn` and disposes every tensor created inside that is neither returned (as a tensor, or inside an
   * array, Map, Set or plain object) nor `keep()`-ed. Returned tensors move to the enclosing tidy. `fn` may be
   * async: the scope then lasts until the promise settles, and belongs to that async call alone (concurrent
   * calls have their own scopes).
   */
  tidy<T>(fn: () => T): T {
    checkFunction('tidy', fn);
    const ctx = currentContext();
    const scope: TidyScope = { owner: this, tensors: new Set(), parent: ctx.tidy };
    const parent = innermost(ctx.tidy, this);
    const finish = (result: unknown, ok: boolean): void => {
      const keepers = new Set<Tensor>();
      if (ok) collectTensors(result, keepers);
      for (const t of scope.tensors) {
        if (keepers.has(t) || t._kept) continue;
        t.dispose();
      }
      for (const t of keepers) {
        if (t._scope !== scope) continue;
        t._scope = parent;
        parent?.tensors.add(t);
      }
      scope.tensors.clear();
    };
    return runWith({ tidy: scope }, () => {
      let result: T;
      try {
        result = fn();
      } catch (e) {
        finish(undefined, false);
        throw e;
      }
      if (result instanceof Promise) {
        return result.then(
          (r) => {
            finish(r, true);
            return r;
          },
          (e) => {
            finish(undefined, false);
            throw e;
          },
        ) as T;
      }
      finish(result, true);
      return result;
    });
  }

  /**
   * Whether `t` belongs to the innermost `tidy` now open on this device: created inside it (or returned into
   * it by a nested one) and not kept, so that tidy disposes it unless it is returned. False for a tensor that
   * existed before the tidy began (an input, a closure tensor, a parameter): code that gets such a tensor
   * from a user's callback borrows it and must not dispose it.
   */
  createdInTidy(t: Tensor): boolean {
    const scope = innermost(currentContext().tidy, this);
    return scope !== null && t._scope === scope;
  }

  /** Exempts a tensor from every enclosing and future `tidy` disposal (you dispose it). */
  keep<T extends Tensor>(t: T): T {
    if (!(t instanceof Tensor)) throw new InvalidArgumentError(`keep expects a Tensor, got ${describe(t)}`);
    t._kept = true;
    t._scope?.tensors.delete(t);
    t._scope = null;
    return t;
  }

  /** Disposes tensors (nested in arrays/objects too). */
  dispose(...items: unknown[]): void {
    const set = new Set<Tensor>();
    collectTensors(items, set);
    for (const t of set) t.dispose();
  }

  /** Runs `fn` without recording gradients. */
  noGrad<T>(fn: () => T): T {
    return noGrad(fn);
  }

  /**
   * Lets the backend free what only the runtime's garbage collector can: resolves at once when nothing is due.
   * On webgpu, Dawn releases a bind group only when its JS wrapper is collected, and lavapipe crashes the
   * process near 60 000 of them; a loop that records work without ever yielding to the event loop (a long
   * fixed-step solve) never lets that happen. When enough dropped groups have piled up, this submits, runs a
   * full collection where the runtime offers one (Node, Bun, `--expose-gc`) and yields to the event loop
   * until the finalizers have run (a few tasks at most). The solvers call it before every evaluation of f
   * and backward between graph nodes; call it in your own long loops. Results never depend on it.
   */
  async relieve(): Promise<void> {
    const due = this.backend.relief?.();
    if (due) await due;
  }

  /** Waits for all submitted work (a no-op on cpu). */
  async sync(): Promise<void> {
    const t = this._empty([1], 'sync');
    this.backend.fill(t._raw, 0, 1);
    await t.data();
    t.dispose();
  }

  /**
   * Releases the backend's device (needed for Node to exit with Dawn). Its tensors become unusable (they
   * throw DeviceDestroyedError) but may still be disposed. A second call does nothing.
   */
  destroy(): void {
    if (this.destroyedFlag) return;
    this.destroyedFlag = true;
    this._allocator.close();
    this.backend.destroy();
  }

  /** `using dev = await createDevice(…)`: destroys the device when the block ends (see {@link Device.destroy}). */
  [Symbol.dispose](): void {
    this.destroy();
  }

  /** `await using dev = await createDevice(…)`: the same as `[Symbol.dispose]`, for async blocks. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.destroy();
  }
}

/** The tensors in a value: itself, or nested in arrays, Maps (keys and values), Sets and plain objects. */
function collectTensors(v: unknown, out: Set<Tensor>, seen = new Set<object>()): void {
  if (v instanceof Tensor) {
    out.add(v);
    return;
  }
  if (v === null || typeof v !== 'object' || seen.has(v)) return;
  seen.add(v);
  if (Array.isArray(v) || v instanceof Set) for (const x of v) collectTensors(x, out, seen);
  else if (v instanceof Map) for (const [k, x] of v) collectTensors(k, out, seen), collectTensors(x, out, seen);
  else if (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null) {
    for (const x of Object.values(v)) collectTensors(x, out, seen);
  }
}

/**
 * Creates a device. Without `backend`, the choice is automatic and said through `options.log` (default
 * console.info): webgpu on a hardware adapter; cpu (float64) when there is no adapter, or when the only one is
 * a software rasterizer (lavapipe, SwiftShader), where the cpu backend is faster for the small models of
 * Neural ODEs and exact to float64 (pass `backend: 'webgpu'` to use it anyway).
 */
export async function createDevice(options: DeviceOptions = {}): Promise<Device> {
  return new Device(await chooseBackend(options), options.seed ?? 0);
}
