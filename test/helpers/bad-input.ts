/**
 * The bad-input harness: each case feeds one bad input to the library, on the cpu and the webgpu backend,
 * and checks that it fails as promised: the specific error class (and SympodeError), a message naming the
 * problem, the allocator's live bytes, tensors and buffers back at the baseline taken just before the call,
 * everything freed once the case's inputs are, and the device still computing right afterwards.
 */
import { appendFileSync } from 'node:fs';
import { describe, it, expect, beforeAll } from 'vitest';
import { createDevice, SympodeError, type Device, type Tensor } from '@sympode/tensor';
import { webgpuDevice } from './devices.js';

/** What a case gets besides its main device: another live device, and a destroyed one with a tensor of it. */
export interface Env {
  /** A live device that is not the case's (cpu float32 beside cpu float64; cpu float64 beside webgpu). */
  other: Device;
  /** A device of the case's backend, destroyed after `deadTensor` was made on it. */
  dead: Device;
  deadTensor: Tensor;
}

type ErrorClass = abstract new (...args: never[]) => SympodeError;

/** One bad input: `act` must throw (or reject) with `error` and a message matching `message`. */
export interface BadInput<T> {
  name: string;
  error: ErrorClass;
  message: RegExp;
  /** The inputs, made before the baseline is taken (default: none). */
  setup?: (dev: Device, env: Env) => T | Promise<T>;
  act: (input: T, dev: Device, env: Env) => unknown;
  /** Checks after the failure, e.g. that nothing was half-written (all-or-nothing). */
  after?: (input: T, dev: Device) => void | Promise<void>;
  /** Frees the inputs (default: `dev.dispose(input)`, which finds tensors in arrays and plain objects). */
  teardown?: (input: T, dev: Device) => void;
}

/** A case with its input type inferred (the table holds cases of different input types). */
export function bad<T = undefined>(c: BadInput<T>): BadInput<unknown> {
  return c as BadInput<unknown>;
}

const counts = (dev: Device) => {
  const s = dev.memory.stats();
  return { liveBytes: s.liveBytes, liveTensors: s.liveTensors, liveBuffers: s.liveBuffers };
};

/** A small matmul against known values: the device still works after the failure. */
export async function expectComputes(dev: Device): Promise<void> {
  const a = dev.tensor([[1, 2], [3, 4]]);
  const b = dev.tensor([[5, 6], [7, 8]]);
  const c = a.matmul(b);
  expect(Array.from(await c.data())).toEqual([19, 22, 43, 50]);
  dev.dispose(a, b, c);
}

/** `npm run docs:errors` sets this: each case's error (cpu) is appended as a JSON line for docs/errors.md. */
const tableFile = process.env.SYMPODE_ERRORS_TABLE;

async function runCase(c: BadInput<unknown>, dev: Device, env: Env, suite: string): Promise<void> {
  const start = counts(dev);
  const input = c.setup ? await c.setup(dev, env) : undefined;
  const baseline = counts(dev);
  let caught: unknown = null;
  try {
    await c.act(input, dev, env);
  } catch (e) {
    caught = e;
  }
  expect(caught, 'no error was thrown').not.toBeNull();
  expect(caught, String(caught)).toBeInstanceOf(c.error);
  expect(caught).toBeInstanceOf(SympodeError);
  expect((caught as Error).message).toMatch(c.message);
  if (tableFile && dev.kind === 'cpu') {
    const row = { suite, name: c.name, error: (caught as Error).constructor.name, message: (caught as Error).message };
    appendFileSync(tableFile, `${JSON.stringify(row)}\n`);
  }
  expect(counts(dev), 'allocator after the failure').toEqual(baseline);
  await c.after?.(input, dev);
  (c.teardown ?? ((x: unknown, d: Device) => d.dispose(x)))(input, dev);
  expect(counts(dev), 'allocator after the inputs are freed').toEqual(start);
  await expectComputes(dev);
}

/** Runs every case on cpu (float64) and on webgpu (skipped without an adapter unless SYMPODE_REQUIRE_WEBGPU=1). */
export function badInputSuite(title: string, cases: readonly BadInput<unknown>[]): void {
  for (const backend of ['cpu', 'webgpu'] as const) {
    describe(`${title} (${backend})`, () => {
      let dev: Device | null = null;
      let env: Env;
      beforeAll(async () => {
        dev = backend === 'cpu' ? await createDevice({ backend: 'cpu' }) : await webgpuDevice();
        if (!dev) return;
        const dead = await createDevice({ backend });
        const deadTensor = dead.ones([2]);
        dead.destroy();
        const other = await createDevice({ backend: 'cpu', dtype: backend === 'cpu' ? 'float32' : 'float64' });
        env = { other, dead, deadTensor };
      });
      for (const c of cases) {
        it(c.name, async (ctx) => {
          if (!dev) return ctx.skip();
          await runCase(c, dev, env, title);
        });
      }
    });
  }
}
