/**
 * The execution context of library calls: grad mode, the open `tidy` scopes, memory labels and phases.
 *
 * It follows the async call that set it, so two solves awaited at once (`Promise.all`) never see each other's
 * grad mode or tidy scope. Where the runtime has AsyncLocalStorage (Node, Deno, Bun) or `AsyncContext`, the
 * context is carried by it; elsewhere (browsers today) one global context is swapped around each call, which
 * is correct for sequential use only: `concurrentContexts` says which applies.
 */
import type { Tensor } from './tensor.js';

/** A `tidy` region of one device: the tensors created in it that it will dispose. */
export interface TidyScope {
  readonly owner: object;
  readonly tensors: Set<Tensor>;
  readonly parent: TidyScope | null;
}

/** An open memory label of one allocator. */
export interface LabelFrame {
  readonly owner: object;
  readonly label: string;
  readonly parent: LabelFrame | null;
}

/** An open profiling phase of one allocator (`memory.phase`): forward solve, step n, VJP, ... */
export interface PhaseFrame {
  readonly owner: object;
  readonly name: string;
  /** Trace id shared by a phase and the phases nested in it (one nestable async track in Chrome traces). */
  readonly track: number;
  readonly parent: PhaseFrame | null;
}

/** Immutable: every region makes a new one, so a suspended region's context cannot change under it. */
export interface Context {
  readonly grad: boolean;
  readonly tidy: TidyScope | null;
  readonly label: LabelFrame | null;
  readonly phase: PhaseFrame | null;
  /** Sees the inputs of every op recorded in the call (`traceInputs`); null almost always. */
  readonly observe: ((inputs: readonly Tensor[]) => void) | null;
}

interface Carrier {
  get(): Context | undefined;
  run<T>(ctx: Context, fn: () => T): T;
}

const ROOT: Context = { grad: true, tidy: null, label: null, phase: null, observe: null };

/** AsyncLocalStorage looked up at run time, so browser bundles carry no Node import. */
function asyncCarrier(): Carrier | null {
  const g = globalThis as {
    AsyncContext?: { Variable: new () => { get(): Context | undefined; run<T>(v: Context, fn: () => T): T } };
    process?: { getBuiltinModule?: (id: string) => unknown };
  };
  if (g.AsyncContext) {
    const v = new g.AsyncContext.Variable();
    return { get: () => v.get(), run: (ctx, fn) => v.run(ctx, fn) };
  }
  const hooks = g.process?.getBuiltinModule?.('node:async_hooks') as
    | { AsyncLocalStorage: new () => { getStore(): Context | undefined; run<T>(s: Context, fn: () => T): T } }
    | undefined;
  if (!hooks) return null;
  const als = new hooks.AsyncLocalStorage();
  return { get: () => als.getStore(), run: (ctx, fn) => als.run(ctx, fn) };
}

/** One global context, restored when the region (or its promise) ends: correct for sequential use. */
function globalCarrier(): Carrier {
  let current: Context | undefined;
  return {
    get: () => current,
    run<T>(ctx: Context, fn: () => T): T {
      const prev = current;
      current = ctx;
      let result: T;
      try {
        result = fn();
      } catch (e) {
        current = prev;
        throw e;
      }
      if (result instanceof Promise) {
        return result.finally(() => {
          current = prev;
        }) as T;
      }
      current = prev;
      return result;
    },
  };
}

const found = asyncCarrier();
const carrier: Carrier = found ?? globalCarrier();

/** Whether the context follows each async call (true in Node; false in browsers without AsyncContext). */
export const concurrentContexts = found !== null;

/** The context of the running call. */
export function currentContext(): Context {
  return carrier.get() ?? ROOT;
}

/** Runs `fn` (sync or async) in the current context changed by `patch`. */
export function runWith<T>(patch: Partial<Context>, fn: () => T): T {
  return carrier.run({ ...currentContext(), ...patch }, fn);
}

/** The innermost frame of a linked list that belongs to `owner`. */
export function innermost<F extends { owner: object; parent: F | null }>(frame: F | null, owner: object): F | null {
  for (let f = frame; f; f = f.parent) if (f.owner === owner) return f;
  return null;
}
