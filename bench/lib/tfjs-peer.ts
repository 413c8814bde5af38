/**
 * The TensorFlow.js peer: the same MLP ODE (same parameters, same y0, same loss weights), solved by a tiny
 * explicit Runge–Kutta written with tfjs ops over a given list of step sizes (the accepted steps of our solve,
 * so both libraries integrate the same discrete problem), differentiated by tfjs's tape (`tf.grads`:
 * backprop through the solver, the only gradient tfjs offers).
 *
 * tfjs-core's Node bundle ships no gradient definitions (the `@tensorflow/tfjs` union package registers them
 * from ES modules Node cannot load directly), so the five kernels the problem uses get tfjs's own gradient
 * configs, transcribed below with the same saved inputs/outputs (hence the same tape memory) as tfjs's.
 *
 * tfjs-webgpu runs in Node on Dawn: `navigator.gpu` must exist before the backend module is imported.
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as TF from '@tensorflow/tfjs-core';
import { median } from './stats.js';

type Tf = typeof TF;

/** tfjs backends the peers use: webgpu (Dawn), cpu (plain JS), wasm (XNNPACK, SIMD). */
export type TfjsBackend = 'webgpu' | 'cpu' | 'wasm';

export interface TfjsPeer {
  tf: Tf;
  backend: TfjsBackend;
  description: string;
}

let tfModule: Tf | null = null;
const registered = new Set<TfjsBackend>();

async function core(): Promise<Tf> {
  if (tfModule) return tfModule;
  const tf = (await import('@tensorflow/tfjs-core')) as unknown as Tf;
  // Production mode: tfjs skips its debug-time correctness checks (faster; also silences its Node banner).
  tf.enableProdMode();
  registerGradients(tf);
  tfModule = tf;
  return tf;
}

/**
 * Loads tfjs with the given backend. Throws (with the reason) when the backend cannot start: the caller
 * reports that and falls back to cpu.
 */
export async function loadTfjs(backend: TfjsBackend): Promise<TfjsPeer> {
  if (backend === 'webgpu' && !registered.has('webgpu')) {
    const g = globalThis as unknown as { navigator?: { gpu?: unknown } };
    if (!g.navigator?.gpu) {
      const webgpu = await import('webgpu');
      Object.assign(globalThis, webgpu.globals);
      const nav = { ...(g.navigator ?? {}), gpu: webgpu.create([]) };
      Object.defineProperty(globalThis, 'navigator', { value: nav, configurable: true, writable: true });
    }
  }
  const tf = await core();
  if (!registered.has(backend)) {
    if (backend === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
    else if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
    else await import('@tensorflow/tfjs-backend-cpu');
    registered.add(backend);
  }
  // Dawn's warnings about reduced dynamic-buffer limits are printed by tfjs-webgpu's device request: harmless.
  const ok = await tf.setBackend(backend);
  if (!ok || tf.getBackend() !== backend) throw new Error(`tfjs: setBackend('${backend}') failed`);
  await tf.ready();
  let description = `tfjs-${backend} ${tf.version_core}`;
  if (backend === 'webgpu') {
    const b = tf.backend() as unknown as { adapterInfo?: { vendor?: string; architecture?: string; description?: string } };
    const info = b.adapterInfo;
    const parts = info ? [info.vendor, info.architecture, info.description].filter((x) => x) : [];
    description += parts.length ? ` (${parts.join(' ')})` : ' (Dawn)';
  } else if (backend === 'wasm') {
    // tfjs-wasm picks its thread count itself (one in Node, whatever is asked): report what it really uses.
    const { getThreadsCount } = await import('@tensorflow/tfjs-backend-wasm');
    description += ` (XNNPACK, ${getThreadsCount()} thread${getThreadsCount() === 1 ? '' : 's'})`;
  } else {
    description += ` (${os.cpus()[0]?.model ?? 'cpu'})`;
  }
  return { tf, backend, description };
}

/** tfjs's gradient configs for BatchMatMul, Add, Mul, Tanh and Sum (tfjs-core/src/gradients/*_grad.ts). */
function registerGradients(tf: Tf): void {
  const bu = tf.broadcast_util;
  const reduceTo = (res: TF.Tensor, shape: number[], outShape: number[]): TF.Tensor => {
    const axes = bu.getReductionAxes(shape, outShape);
    return tf.reshape(axes.length > 0 ? tf.sum(res, axes) : res, shape);
  };
  tf.registerGradient({
    kernelName: tf.BatchMatMul,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved;
      const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
      const g = dy as TF.Tensor;
      if (!transposeA && !transposeB) return { a: () => tf.matMul(g, b, false, true), b: () => tf.matMul(a, g, true, false) };
      if (!transposeA && transposeB) return { a: () => tf.matMul(g, b, false, false), b: () => tf.matMul(g, a, true, false) };
      if (transposeA && !transposeB) return { a: () => tf.matMul(b, g, false, true), b: () => tf.matMul(a, g, false, false) };
      return { a: () => tf.matMul(b, g, true, true), b: () => tf.matMul(g, a, true, true) };
    },
  });
  tf.registerGradient({
    kernelName: tf.Add,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved;
      const out = bu.assertAndGetBroadcastShape(a.shape, b.shape);
      return { a: () => reduceTo(dy as TF.Tensor, a.shape, out), b: () => reduceTo(dy as TF.Tensor, b.shape, out) };
    },
  });
  tf.registerGradient({
    kernelName: tf.Multiply,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved;
      const out = bu.assertAndGetBroadcastShape(a.shape, b.shape);
      return {
        a: () => reduceTo(tf.mul(dy as TF.Tensor, tf.cast(b, 'float32')), a.shape, out),
        b: () => reduceTo(tf.mul(dy as TF.Tensor, tf.cast(a, 'float32')), b.shape, out),
      };
    },
  });
  tf.registerGradient({
    kernelName: tf.Tanh,
    outputsToSave: [true],
    gradFunc: (dy, saved) => {
      const [y] = saved;
      return { x: () => tf.mul(tf.sub(tf.scalar(1), tf.square(y)), dy as TF.Tensor) };
    },
  });
  tf.registerGradient({
    kernelName: tf.Sum,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const expanded = x.shape.slice();
      const { axis } = attrs as unknown as { axis: number | number[] };
      for (const ax of tf.util.parseAxisParam(axis, x.shape)) expanded[ax] = 1;
      return { x: () => tf.mul(tf.reshape(dy as TF.Tensor, expanded), tf.ones(x.shape, 'float32')) };
    },
  });
}

/** Parameters as host arrays: Linear layers in order, weight [out, in] (PyTorch layout) and bias [out]. */
export interface HostLinear {
  weight: { shape: number[]; data: number[] };
  bias: { shape: number[]; data: number[] };
}

export interface TfjsProblem {
  /** Linear layers of the MLP. */
  layers: HostLinear[];
  y0: { shape: number[]; data: number[] };
  /** Loss weights w (∂L/∂y(T)), shape of y0. */
  w: number[];
  /** The fixed rotation ω·J ([D, D] row-major) added to the field, if any. */
  rotation?: number[];
  /** Butcher tableau. */
  a: readonly (readonly number[])[];
  b: readonly number[];
  fsal: boolean;
  /** Step sizes of the solve, in order. */
  steps: readonly number[];
}

export interface TfjsMeasurement {
  backend: string;
  /** Median ms of forward + backward (tf.grads, results read back). */
  iterMs: number;
  /** Median ms of the forward solve alone (no tape), for reference. */
  fwdMs: number;
  /** Peak tensor bytes above the bytes live before the iteration (tf.profile). */
  peakBytes: number;
  /** Gradients flattened in our order: y0, then per layer weight, bias. */
  grads: Float64Array;
  /** Tensor leak check: tensors alive after the iteration minus before (0 when clean). */
  leakedTensors: number;
}

/**
 * Solves the problem with backprop through a hand-written RK and measures time (median of `repeats` after
 * one warm-up) and peak bytes (one profiled run).
 */
export async function runTfjsPeer(peer: TfjsPeer, prob: TfjsProblem, repeats: number): Promise<TfjsMeasurement> {
  const { tf } = peer;
  const ws = prob.layers.map((l) => tf.tensor(l.weight.data, l.weight.shape, 'float32'));
  const bs = prob.layers.map((l) => tf.tensor(l.bias.data, l.bias.shape, 'float32'));
  const y0 = tf.tensor(prob.y0.data, prob.y0.shape, 'float32');
  const w = tf.tensor(prob.w, prob.y0.shape, 'float32');
  const D = prob.y0.shape[prob.y0.shape.length - 1];
  const J = prob.rotation ? tf.tensor(prob.rotation, [D, D], 'float32') : null;
  const s = prob.b.length;

  const f = (y: TF.Tensor, W: TF.Tensor[], Bv: TF.Tensor[]): TF.Tensor => {
    let h = y;
    for (let i = 0; i < W.length; i++) {
      const z = tf.add(tf.matMul(h, W[i], false, true), Bv[i]);
      h = i < W.length - 1 ? tf.tanh(z) : z;
    }
    return J ? tf.add(h, tf.matMul(y, J)) : h;
  };
  // One RK step; each step in its own tidy so only what the tape saved survives (a memory-careful tfjs user).
  const solve = (y0t: TF.Tensor, W: TF.Tensor[], Bv: TF.Tensor[]): TF.Tensor => {
    let y = y0t;
    let k0: TF.Tensor | null = null;
    for (const h of prob.steps) {
      const [y1, kLast] = tf.tidy(() => {
        const ks: TF.Tensor[] = [];
        let yNext: TF.Tensor | null = null;
        for (let i = 0; i < s; i++) {
          let Yi = y;
          for (let j = 0; j < i; j++) if (prob.a[i][j]) Yi = tf.add(Yi, tf.mul(ks[j], h * prob.a[i][j]));
          ks.push(i === 0 && k0 ? k0 : f(Yi, W, Bv));
          if (prob.fsal && i === s - 1) yNext = Yi;
        }
        if (!yNext) {
          yNext = y;
          for (let j = 0; j < s; j++) if (prob.b[j]) yNext = tf.add(yNext, tf.mul(ks[j], h * prob.b[j]));
        }
        return [yNext, ks[s - 1]];
      });
      y = y1;
      k0 = prob.fsal ? kLast : null;
    }
    return y;
  };
  const gradFn = tf.grads((...xs: TF.Tensor[]) => {
    const n = ws.length;
    const yT = solve(xs[0], xs.slice(1, 1 + n), xs.slice(1 + n));
    return tf.sum(tf.mul(yT, w));
  });
  const inputs = [y0, ...ws, ...bs];

  const iteration = async (): Promise<Float32Array[]> => {
    const gs = gradFn(inputs);
    const out = await Promise.all(gs.map((g) => g.data() as Promise<Float32Array>));
    tf.dispose(gs);
    return out;
  };
  const forward = async (): Promise<void> => {
    const y = tf.tidy(() => solve(y0, ws, bs));
    await y.data();
    y.dispose();
  };

  const before = tf.memory().numTensors;
  let hostGrads = await iteration(); // warm-up (pipeline compilation)
  await forward();
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    hostGrads = await iteration();
    times.push(performance.now() - t0);
  }
  const fwdTimes: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    await forward();
    fwdTimes.push(performance.now() - t0);
  }
  const baseBytes = tf.memory().numBytes;
  const prof = await tf.profile(async () => {
    const gs = gradFn(inputs);
    await Promise.all(gs.map((g) => g.data()));
    tf.dispose(gs);
    return [];
  });
  const leaked = tf.memory().numTensors - before;

  // Our order: y0, then per layer weight, bias.
  const n = ws.length;
  const ordered: Float32Array[] = [hostGrads[0]];
  for (let i = 0; i < n; i++) ordered.push(hostGrads[1 + i], hostGrads[1 + n + i]);
  const grads = new Float64Array(ordered.reduce((m, g) => m + g.length, 0));
  let off = 0;
  for (const g of ordered) {
    grads.set(g, off);
    off += g.length;
  }
  tf.dispose([...inputs, w, ...(J ? [J] : [])]);
  return {
    backend: peer.description,
    iterMs: median(times),
    fwdMs: median(fwdTimes),
    peakBytes: prof.peakBytes - baseBytes,
    grads,
    leakedTensors: leaked,
  };
}

/**
 * Runs the peer in a child process when the compiled worker is available (the runner, from bench/dist), so
 * that a native crash (tfjs-webgpu segfaults on lavapipe at large tapes) becomes an error here; from the
 * TypeScript sources (vitest) it runs in this process.
 */
export async function runTfjsIsolated(backend: TfjsBackend, prob: TfjsProblem, repeats: number): Promise<TfjsMeasurement> {
  const here = fileURLToPath(import.meta.url);
  const worker = join(dirname(here), 'tfjs-worker.js');
  if (!here.endsWith('.js') || !existsSync(worker)) return runTfjsPeer(await loadTfjs(backend), prob, repeats);
  return new Promise<TfjsMeasurement>((resolvePromise, reject) => {
    const child = fork(worker, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    let settled = false;
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child.on('message', (msg: { ok: boolean; result?: Omit<TfjsMeasurement, 'grads'> & { grads: number[] }; error?: string }) => {
      settled = true;
      if (msg.ok && msg.result) resolvePromise({ ...msg.result, grads: Float64Array.from(msg.result.grads) });
      else reject(new Error(msg.error ?? 'tfjs worker failed'));
    });
    child.on('exit', (code, signal) => {
      if (settled) return;
      const last = stderr.split('\n').filter((l) => l.trim() && !l.startsWith('Warning:')).slice(-2).join(' / ');
      reject(new Error(`the tfjs-${backend} process died (${signal ?? `exit code ${code}`})${last ? `: ${last}` : ''}`));
    });
    child.send({ backend, prob, repeats });
  });
}
