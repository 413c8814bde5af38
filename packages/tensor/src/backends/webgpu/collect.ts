/**
 * Relief for Dawn's bind groups. WebGPU has no way to free a bind group: Dawn releases one (and on lavapipe the
 * page it maps per descriptor set) only when V8 collects its JS wrapper and the finalizer runs in a later task.
 * A long solve allocates little JS garbage and never yields to the event loop, so neither happens: on lavapipe
 * the mappings reach the kernel's vm.max_map_count (65 530) and the process dies in a memset (SIGSEGV) near
 * 6 000 rk4 steps with a checkpoint each. The remedy: count the groups still alive, and when enough have been
 * dropped, collect garbage (where the runtime allows it) and yield to the event loop so the finalizers run.
 */

/** The runtime's collector, looked up on first use (null where there is none). */
let collector: { run: (() => void) | null } | undefined;

/** A full garbage collection where the runtime offers one; nothing elsewhere. */
export function collectGarbage(): void {
  (collector ??= { run: findCollector() }).run?.();
}

/** A full garbage collection where the runtime offers one (Node, Bun, or `--expose-gc`), else null. */
function findCollector(): (() => void) | null {
  const g = globalThis as {
    gc?: unknown;
    Bun?: { gc?: (force: boolean) => void };
    process?: { getBuiltinModule?: (id: string) => unknown };
  };
  if (typeof g.gc === 'function') return g.gc as () => void;
  const bun = g.Bun?.gc;
  if (typeof bun === 'function') return () => bun(true);
  try {
    // Node ≥ 20.16: expose `gc` to one fresh context only, then put the flag back (the user's contexts are untouched).
    const v8 = g.process?.getBuiltinModule?.('node:v8') as { setFlagsFromString(f: string): void } | undefined;
    const vm = g.process?.getBuiltinModule?.('node:vm') as { runInNewContext(code: string): unknown } | undefined;
    if (!v8 || !vm) return null;
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc');
    v8.setFlagsFromString('--no-expose-gc');
    return typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    return null;
  }
}

/** Resolves after one macrotask, so that finalizers queued by a collection have run. */
export function nextTask(): Promise<void> {
  const g = globalThis as { setImmediate?: (cb: () => void) => unknown };
  return new Promise((resolve) => (g.setImmediate ? g.setImmediate(resolve) : setTimeout(resolve, 0)));
}
