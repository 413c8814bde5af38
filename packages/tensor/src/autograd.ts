/**
 * Reverse-mode autograd. Each differentiable op attaches a Node to its output: the input nodes, a backward
 * written with Tensor ops (so gradients are differentiable again: higher-order gradients work), and the
 * storages it saved. Nodes are reference counted (by their output tensor and by consumer nodes), so a graph
 * that is dropped without backward still frees what it saved; backward frees it unless `retainGraph`.
 * Backward may be async (a custom op such as an ODE solve may need host readbacks), hence `grad` is async.
 */
import { GraphFreedError, InvalidArgumentError, ShapeError } from './errors.js';
import type { Storage } from './storage.js';
import { Tensor } from './tensor.js';
import { fmt } from './shape.js';

export type MaybePromise<T> = T | Promise<T>;

/** Computes input gradients from the output gradient; `needs[i]` says whether input i's gradient is wanted. */
export type BackwardFn = (
  gradOutput: Tensor,
  saved: Tensor[],
  needs: readonly boolean[],
) => MaybePromise<readonly (Tensor | null | undefined)[]>;

interface Saved {
  storage: Storage;
  shape: readonly number[];
  /** The saved tensor's node, so a createGraph backward can differentiate through it (held by reference). */
  node: Node | null;
  /** The op's own output: its node is the owning node itself (not held, which would be a cycle). */
  isOutput: boolean;
}

export class Node {
  private refs = 1;
  /** True once the saved storages have been released. */
  freed = false;

  constructor(
    readonly name: string,
    readonly inputs: readonly (Node | null)[],
    readonly backward: BackwardFn | null,
    private saved: Saved[],
    /** For leaves: the tensor whose `.grad` receives the gradient. */
    readonly leaf: Tensor | null,
    private readonly onRelease?: () => void,
  ) {
    for (const n of inputs) n?.incref();
  }

  get isLeaf(): boolean {
    return this.leaf !== null;
  }

  incref(): void {
    this.refs++;
  }

  /** Drops one owner; the last one frees the saved storages and releases the inputs. */
  decref(): void {
    if (--this.refs > 0) return;
    this.freeSaved();
    for (const n of this.inputs) n?.decref();
  }

  freeSaved(): void {
    if (this.freed) return;
    this.freed = true;
    for (const s of this.saved) {
      s.storage.release();
      s.node?.decref();
    }
    this.saved = [];
    this.onRelease?.();
  }

  savedTensors(device: Tensor['device']): Tensor[] {
    if (this.freed) {
      throw new GraphFreedError(
        `backward through '${this.name}' a second time: its saved tensors were freed by the first backward; pass { retainGraph: true } to keep them`,
      );
    }
    return this.saved.map((s) => {
      const t = Tensor._fromStorage(device, s.storage.retain(), s.shape);
      const node = s.isOutput ? this : s.node;
      if (node) t._attachNode(node);
      return t;
    });
  }
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = enabled;
  let result: T;
  try {
    result = fn();
  } catch (e) {
    gradEnabled = prev;
    throw e;
  }
  if (result instanceof Promise) {
    return result.finally(() => {
      gradEnabled = prev;
    }) as T;
  }
  gradEnabled = prev;
  return result;
}

/**
 * Runs `fn` without recording a graph. Accepts async functions (the mode holds until the promise settles;
 * do not interleave with graph-building code meanwhile).
 */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Runs `fn` with graph recording on (e.g. inside a `noGrad` region, to build one VJP). */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

/**
 * Attaches a backward to `out` (computed from `inputs` without a graph) when recording and any input
 * requires grad. `save` lists tensors backward needs; they are kept alive (by reference) until the graph is
 * freed, even if the caller disposes them.
 */
export function record(
  name: string,
  out: Tensor,
  inputs: readonly Tensor[],
  backward: BackwardFn,
  save: readonly Tensor[] = [],
  onRelease?: () => void,
): Tensor {
  if (!gradEnabled || !inputs.some((t) => t.requiresGrad)) {
    onRelease?.();
    return out;
  }
  const saved = save.map((t): Saved => {
    const isOutput = t === out;
    const node = isOutput ? null : t._gradNode();
    node?.incref();
    return { storage: t._storage.retain(), shape: t.shape, node, isOutput };
  });
  out._setNode(new Node(name, inputs.map((t) => t._gradNode()), backward, saved, null, onRelease));
  return out;
}

/**
 * Defines a differentiable op with a hand-written backward, e.g. an ODE solve whose gradient is computed by
 * an adjoint method. `output` must be freshly computed (no graph of its own). `onRelease` runs once when the
 * graph is freed (after backward, or when the output is disposed without backward): release what the
 * backward would have needed there (checkpoints).
 */
export function customVjp(
  name: string,
  inputs: readonly Tensor[],
  output: Tensor,
  backward: (gradOutput: Tensor, needs: readonly boolean[]) => MaybePromise<readonly (Tensor | null | undefined)[]>,
  onRelease?: () => void,
): Tensor {
  return record(name, output, inputs, (g, _saved, needs) => backward(g, needs), [], onRelease);
}

export interface GradOptions {
  /** Record the backward computation so the gradients can be differentiated again. Default false. */
  createGraph?: boolean;
  /** Keep the graph's saved tensors after backward. Default: same as createGraph. */
  retainGraph?: boolean;
  /** Gradient of the output (required when the output is not a scalar). Defaults to ones. */
  gradOutput?: Tensor;
}

/** Iterative post-order DFS: inputs before consumers (a solve's graph is too deep for recursion). */
function topoOrder(root: Node): Node[] {
  const order: Node[] = [];
  const seen = new Set<Node>([root]);
  const stack: [Node, number][] = [[root, 0]];
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [node, i] = top;
    if (i < node.inputs.length) {
      top[1]++;
      const child = node.inputs[i];
      if (child && !seen.has(child)) {
        seen.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(node);
    }
  }
  return order;
}

async function runBackward(output: Tensor, targets: ReadonlySet<Node>, opts: GradOptions): Promise<Map<Node, Tensor>> {
  const root = output._node;
  const grads = new Map<Node, Tensor>();
  if (!root) return grads;
  const createGraph = opts.createGraph ?? false;
  const retainGraph = opts.retainGraph ?? createGraph;
  const order = topoOrder(root);
  // Nodes on a path to a target: only their backward runs.
  const needed = new Set<Node>();
  for (const n of order) if (targets.has(n) || n.inputs.some((i) => i && needed.has(i))) needed.add(n);

  const seed = opts.gradOutput;
  if (seed) {
    if (seed.size !== output.size) throw new ShapeError(`gradOutput ${fmt(seed.shape)} does not match output ${fmt(output.shape)}`);
  } else if (output.size !== 1) {
    throw new ShapeError(`grad of a non-scalar output ${fmt(output.shape)} needs { gradOutput }`);
  }

  await withGradMode(createGraph, async () => {
    grads.set(root, seed ? seed.reshape(output.shape) : output.device.onesLike(output));
    for (let k = order.length - 1; k >= 0; k--) {
      const node = order[k];
      const g = grads.get(node);
      if (!g || !node.backward || !needed.has(node)) continue;
      const needs = node.inputs.map((i) => i !== null && needed.has(i));
      if (!needs.some(Boolean)) continue;
      // The tidy frees the backward's intermediates and the rewrapped saved tensors it does not return.
      const result = await output.device.tidy(async () => [...(await node.backward!(g, node.savedTensors(output.device), needs))]);
      const handles = new Set<Tensor>(targets.has(node) ? [] : [g]);
      for (let i = 0; i < node.inputs.length; i++) {
        const gi = result[i];
        const input = node.inputs[i];
        if (!gi || !input || !needs[i]) continue;
        handles.add(gi);
        const prev = grads.get(input);
        if (prev) {
          grads.set(input, prev.add(gi));
          prev.dispose();
        } else {
          grads.set(input, gi._alias());
        }
      }
      // A target keeps its gradient even when backward returned it as an input's gradient too.
      if (targets.has(node)) handles.delete(g);
      for (const h of handles) h.dispose();
      if (!targets.has(node)) grads.delete(node);
    }
  });
  if (!retainGraph) for (const n of order) if (!n.isLeaf) n.freeSaved();
  return grads;
}

/**
 * Gradients of `output` with respect to `inputs` (like `torch.autograd.grad`). The output must be a scalar
 * unless `gradOutput` is given. Inputs the output does not depend on get zeros.
 */
export async function grad(output: Tensor, inputs: readonly Tensor[], opts: GradOptions = {}): Promise<Tensor[]> {
  output._check();
  for (const [i, t] of inputs.entries()) {
    t._check();
    if (!t.requiresGrad) throw new InvalidArgumentError(`grad: input ${i} (shape ${fmt(t.shape)}) does not require grad`);
  }
  const targets = new Set(inputs.map((t) => t._gradNode()!));
  const grads = await runBackward(output, targets, opts);
  const out = inputs.map((t) => {
    const g = grads.get(t._gradNode()!);
    return g ? g._alias() : t.device.zerosLike(t);
  });
  for (const g of grads.values()) g.dispose();
  return out;
}

/** Accumulates d(output)/d(leaf) into every reachable leaf's `.grad` (see `Tensor.backward`). */
export async function backward(output: Tensor, opts: Omit<GradOptions, 'createGraph'> = {}): Promise<void> {
  output._check();
  const root = output._node;
  if (!root) throw new InvalidArgumentError('backward: the output does not require grad (no graph was recorded)');
  const leaves = new Set(topoOrder(root).filter((n) => n.isLeaf));
  const grads = await runBackward(output, leaves, opts);
  for (const [node, g] of grads) {
    const leaf = node.leaf;
    if (!leaf || leaf.isDisposed) {
      g.dispose();
      continue;
    }
    leaf._accumulateGrad(g);
  }
}
