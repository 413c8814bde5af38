/**
 * Reverse-mode autograd. Each differentiable op attaches a Node (graph.ts) to its output: the input nodes, a
 * backward written with Tensor ops (so gradients are differentiable again: higher-order gradients work), and
 * the storages it saved. Backward may be async (a custom op such as an ODE solve may need host readbacks),
 * hence `grad` is async. Grad mode lives in the call's context (context.ts): concurrent calls do not share it.
 */
import { currentContext, runWith } from './context.js';
import { HigherOrderGradientError, InvalidArgumentError, ShapeError, UnusedInputError } from './errors.js';
import { Node, nodeMark, topoOrder, versionMark, type BackwardFn, type DeferredGrad, type MaybePromise, type NodeInfo, type Saved } from './graph.js';
import { Tensor } from './tensor.js';
import { fmt, sameShape } from './shape.js';
import { checkFunction, describe } from './args.js';

export type { BackwardFn, DeferredGrad, MaybePromise } from './graph.js';

/** Whether ops record a graph in the current call (false inside `noGrad`). */
export function isGradEnabled(): boolean {
  return currentContext().grad;
}

/** Runs `fn` (sync or async) without recording a graph; the mode follows `fn`'s async call only. */
export function noGrad<T>(fn: () => T): T {
  checkFunction('noGrad', fn);
  return runWith({ grad: false }, fn);
}

/** Runs `fn` with graph recording on (e.g. inside a `noGrad` region, to build one VJP). */
export function enableGrad<T>(fn: () => T): T {
  checkFunction('enableGrad', fn);
  return runWith({ grad: true }, fn);
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
  info: Omit<NodeInfo, 'inputShapes'> = {},
): Tensor {
  const inputShapes = inputs.map((t) => t.shape);
  out.device._allocator.annotate(out._storage.block, name, inputShapes);
  const ctx = currentContext();
  if (!ctx.grad || !inputs.some((t) => t.requiresGrad)) {
    info.onRelease?.();
    return out;
  }
  ctx.observe?.(inputs);
  const saved = save.map((t): Saved => {
    const isOutput = t === out;
    const node = isOutput ? null : t._gradNode();
    node?.incref();
    t._storage.retain();
    return { ...versionMark(t), node, isOutput };
  });
  const nodeInfo: NodeInfo = { differentiableBackward: true, ...info, inputShapes };
  out._setNode(new Node(name, inputs.map((t) => t._gradNode()), backward, saved, null, nodeInfo));
  return out;
}

/** Options of `customVjp`. */
export interface CustomVjpOptions {
  /** Runs once when the graph is freed (after backward, or when the output is disposed without backward). */
  onRelease?: () => void;
  /**
   * Tensors the backward needs, kept alive until the graph is freed and handed back to `backward` with their
   * graph (so a backward run under `createGraph` can differentiate through them).
   */
  save?: readonly Tensor[];
  /**
   * The backward records its ops when a graph is asked for (`grad(..., { createGraph: true })`), so its
   * gradients can be differentiated again. Default false: a second derivative through this op then throws
   * HigherOrderGradientError instead of silently treating the gradients as constants.
   */
  differentiableBackward?: boolean;
  /**
   * Tensors the backward reads without saving them (e.g. parameters an ODE function reads from its closure):
   * their versions are recorded now, and backward throws InPlaceModificationError if one was modified in
   * place in between (an optimizer step before `grad`), instead of computing from the new values.
   */
  reads?: readonly Tensor[];
}

/** A custom op's backward: gradients of its inputs from the output's gradient. */
export type CustomBackward = (
  gradOutput: Tensor,
  needs: readonly boolean[],
  saved: Tensor[],
) => MaybePromise<readonly (Tensor | null | undefined)[]>;

/**
 * Defines a differentiable op with a hand-written backward, e.g. an ODE solve whose gradient is computed by
 * an adjoint method. `output` must be freshly computed (no graph of its own). The gradients the backward
 * returns are shape-checked against the inputs.
 */
export function customVjp(
  name: string,
  inputs: readonly Tensor[],
  output: Tensor,
  backward: CustomBackward,
  opts: CustomVjpOptions = {},
): Tensor {
  if (!Array.isArray(inputs) || !inputs.every((t) => t instanceof Tensor)) {
    throw new InvalidArgumentError(`customVjp '${String(name)}': inputs must be an array of tensors, got ${describe(inputs)}`);
  }
  if (!(output instanceof Tensor)) throw new InvalidArgumentError(`customVjp '${String(name)}': the output must be a Tensor, got ${describe(output)}`);
  checkFunction(`customVjp '${String(name)}'`, backward);
  output._check();
  opts ??= {};
  const reads = (opts.reads ?? []).map(versionMark);
  return record(name, output, inputs, (g, saved, needs) => backward(g, needs, saved), opts.save ?? [], {
    onRelease: opts.onRelease,
    differentiableBackward: opts.differentiableBackward ?? false,
    reads,
  });
}

/** Options of {@link grad} (and, without createGraph, of `backward`). */
export interface GradOptions {
  /** Record the backward computation so the gradients can be differentiated again. Default false. */
  createGraph?: boolean;
  /** Keep the graph's saved tensors after backward. Default: same as createGraph. */
  retainGraph?: boolean;
  /** Gradient of the output (required when the output is not a scalar). Defaults to ones. */
  gradOutput?: Tensor;
  /**
   * Give zeros for inputs the output does not depend on. Default false: such an input throws
   * UnusedInputError (a zero gradient is more often a bug, e.g. a parameter that never reached the graph).
   */
  allowUnused?: boolean;
  /**
   * Partial derivatives: gradients stop at `inputs` instead of flowing on through them into whatever they
   * were computed from (grad's inputs act as leaves). Default false: total derivatives, like
   * `torch.autograd.grad`.
   */
  stopAtInputs?: boolean;
}

/** `opts` of grad/backward: an object (undefined: defaults); gradOutput is checked with the output. */
function checkGradOptions<O extends object>(api: string, opts: O | undefined): O {
  if (opts === undefined) return {} as O;
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) throw new InvalidArgumentError(`${api}: options must be an object, got ${describe(opts)}`);
  return opts;
}

function checkSeed(output: Tensor, seed: Tensor | undefined): void {
  if (seed !== undefined && !(seed instanceof Tensor)) throw new InvalidArgumentError(`gradOutput must be a Tensor, got ${describe(seed)}`);
  if (seed) {
    seed._check();
    if (seed.device !== output.device) throw new InvalidArgumentError('gradOutput lives on another device than the output');
    if (seed.size !== output.size) throw new ShapeError(`gradOutput ${fmt(seed.shape)} does not match output ${fmt(output.shape)}`);
  } else if (output.size !== 1) {
    throw new ShapeError(`grad of a non-scalar output ${fmt(output.shape)} needs { gradOutput }`);
  }
}

/** What a backward returns for one input: a gradient, one deferred, or none. */
type InputGrad = Tensor | DeferredGrad | null | undefined;

/**
 * Runs one node's backward (in a tidy that frees its intermediates) and checks what it returned. Synchronous
 * (no promise, no extra async scope) when the node's backward is: the common case of every built-in op.
 */
function nodeBackward(node: Node, g: Tensor, needs: boolean[], device: Tensor['device']): MaybePromise<InputGrad[]> {
  const out = device.tidy(() => {
    const r = node.backward!(g, node.savedTensors(device), needs);
    return r instanceof Promise ? r.then((v) => [...v]) : [...r];
  });
  return out instanceof Promise ? out.then((r) => checkResult(node, r, needs, device)) : checkResult(node, out, needs, device);
}

function checkResult(node: Node, result: InputGrad[], needs: boolean[], device: Tensor['device']): InputGrad[] {
  const shapes = node.info.inputShapes;
  for (let i = 0; i < node.inputs.length; i++) {
    const gi = result[i];
    if (!gi || !needs[i] || isDeferred(gi, shapes?.[i])) continue;
    if (!(gi instanceof Tensor) || gi.isDisposed || (shapes && !sameShape(gi.shape, shapes[i]))) {
      const got = gi instanceof Tensor ? (gi.isDisposed ? 'a disposed tensor' : `shape ${fmt(gi.shape)}`) : String(gi);
      device.dispose(result);
      throw new ShapeError(`the backward of '${node.name}' returned ${got} as the gradient of input ${i}${shapes ? ` (shape ${fmt(shapes[i])})` : ''}`);
    }
  }
  return result;
}

/** A deferred gradient (of the input's shape, when known). */
function isDeferred(gi: unknown, shape: readonly number[] | undefined): gi is DeferredGrad {
  if (gi instanceof Tensor || typeof gi !== 'object' || gi === null || typeof (gi as DeferredGrad).addTo !== 'function') return false;
  return !shape || sameShape((gi as DeferredGrad).shape, shape);
}

/** Adds input gradient `gi` to the input's running sum `prev` (none yet: it becomes the sum). */
function accumulate(prev: Tensor | undefined, gi: Tensor | DeferredGrad): Tensor {
  if (gi instanceof Tensor) return prev ? prev.add(gi) : gi._alias();
  return prev ? gi.addTo(prev) : gi.value();
}

async function runBackward(output: Tensor, targets: ReadonlySet<Node>, opts: GradOptions, topo?: Node[]): Promise<Map<Node, Tensor>> {
  const root = output._node;
  const grads = new Map<Node, Tensor>();
  if (!root) return grads;
  const createGraph = opts.createGraph ?? false;
  const retainGraph = opts.retainGraph ?? createGraph;
  const stop = opts.stopAtInputs ?? false;
  checkSeed(output, opts.gradOutput);
  // Partial derivatives stop at the targets: what they were computed from is neither run nor freed.
  const order = topo ?? topoOrder(root, stop ? targets : undefined);
  // Nodes on a path to a target: only their backward runs.
  const needed = new Set<Node>();
  for (const n of order) if (targets.has(n) || n.inputs.some((i) => i && needed.has(i))) needed.add(n);
  const device = output.device;
  try {
    await runWith({ grad: createGraph }, async () => {
      const seed = opts.gradOutput;
      grads.set(root, seed ? seed.reshape(output.shape) : device.onesLike(output));
      for (let k = order.length - 1; k >= 0; k--) {
        const node = order[k];
        const g = grads.get(node);
        if (!g || !node.backward || !needed.has(node) || (stop && targets.has(node))) continue;
        const needs = node.inputs.map((i) => i !== null && needed.has(i));
        if (!needs.some(Boolean)) continue;
        if (createGraph && !node.info.differentiableBackward) {
          throw new HigherOrderGradientError(
            `grad with { createGraph: true } reached '${node.name}', whose backward cannot be differentiated again; ` +
              'use a method that supports second derivatives or drop createGraph',
          );
        }
        const pending = nodeBackward(node, g, needs, device);
        const result = pending instanceof Promise ? await pending : pending;
        const handles = new Set<Tensor>(targets.has(node) ? [] : [g]);
        for (let i = 0; i < result.length; i++) {
          const gi = result[i];
          if (!gi) continue;
          if (gi instanceof Tensor) handles.add(gi); // a gradient nobody asked for is freed with the rest
          const input = node.inputs[i];
          if (!input || !needs[i]) continue;
          const prev = grads.get(input);
          grads.set(input, accumulate(prev, gi));
          prev?.dispose();
        }
        // A target keeps its gradient even when backward returned it as an input's gradient too.
        if (targets.has(node)) handles.delete(g);
        for (const h of handles) h.dispose();
        if (!targets.has(node)) grads.delete(node);
        // A long graph's backward never yields otherwise; see Device.relieve (null, and no await, when not due).
        const relief = device.backend.relief?.();
        if (relief) await relief;
      }
    });
  } catch (e) {
    // A failed backward frees every pending gradient (the graph stays, owned by the output).
    for (const g of grads.values()) g.dispose();
    throw e;
  }
  // A stop's own backward did not run: its saved tensors stay for the backward that reaches it later.
  if (!retainGraph) for (const n of order) if (!n.isLeaf && !(stop && targets.has(n))) n.freeSaved();
  return grads;
}

/**
 * Gradients of `output` with respect to `inputs` (like `torch.autograd.grad`). The output must be a scalar
 * unless `gradOutput` is given. An input the output does not depend on throws UnusedInputError unless
 * `allowUnused` (then its gradient is zeros).
 */
export async function grad(output: Tensor, inputs: readonly Tensor[], opts: GradOptions = {}): Promise<Tensor[]> {
  opts = checkGradOptions('grad', opts);
  if (!(output instanceof Tensor)) throw new InvalidArgumentError(`grad: the output must be a Tensor, got ${typeof output}`);
  if (!Array.isArray(inputs)) throw new InvalidArgumentError('grad: inputs must be an array of tensors');
  output._check();
  for (const [i, t] of inputs.entries()) {
    if (!(t instanceof Tensor)) throw new InvalidArgumentError(`grad: input ${i} is not a Tensor`);
    t._check();
    if (t.device !== output.device) throw new InvalidArgumentError(`grad: input ${i} lives on another device than the output`);
    if (!t.requiresGrad) throw new InvalidArgumentError(`grad: input ${i} (shape ${fmt(t.shape)}) does not require grad`);
  }
  const targets = new Set(inputs.map((t) => t._gradNode()!));
  const order = output._node ? topoOrder(output._node, opts.stopAtInputs ? targets : undefined) : undefined;
  if (!opts.allowUnused) {
    const reached = new Set<Node>(order);
    const i = inputs.findIndex((t) => !reached.has(t._gradNode()!));
    if (i >= 0) {
      throw new UnusedInputError(
        `grad: the output does not depend on input ${i} (shape ${fmt(inputs[i].shape)}); pass { allowUnused: true } for a zero gradient`,
      );
    }
  }
  const grads = await runBackward(output, targets, opts, order);
  const out = inputs.map((t) => {
    const g = grads.get(t._gradNode()!);
    return g ? g._alias() : t.device.zerosLike(t);
  });
  for (const g of grads.values()) g.dispose();
  return out;
}

/** Accumulates d(output)/d(leaf) into every reachable leaf's `.grad` (see `Tensor.backward`). */
export async function backward(output: Tensor, opts: Omit<GradOptions, 'createGraph' | 'stopAtInputs' | 'allowUnused'> = {}): Promise<void> {
  opts = checkGradOptions('backward', opts);
  output._check();
  const root = output._node;
  if (!root) throw new InvalidArgumentError('backward: the output does not require grad (no graph was recorded)');
  const order = topoOrder(root);
  const leaves = new Set(order.filter((n) => n.isLeaf));
  const grads = await runBackward(output, leaves, opts, order);
  for (const [node, g] of grads) {
    const leaf = node.leaf;
    if (!leaf || leaf.isDisposed) {
      g.dispose();
      continue;
    }
    leaf._accumulateGrad(g);
  }
}

/** What `traceInputs` returns: `fn`'s value and the tensors its graph starts from. */
export interface TracedInputs<T> {
  value: T;
  /**
   * The tensors requiring grad that `fn`'s recorded ops read but `fn` did not make, in the order first read
   * (one per graph node): leaves such as parameters, and tensors computed before the call (a reparametrised
   * weight `A = w.mul(w).neg()`, another solve's output).
   */
  inputs: Tensor[];
}

/**
 * Runs `fn` with graph recording on and reports where its graph starts: the tensors requiring grad it read
 * but did not create. A custom op that differentiates `fn` itself (an ODE solve's VJP per step) takes these
 * as its inputs and differentiates up to them (`grad(..., { stopAtInputs: true })`), leaving the graph they
 * came from to the outer backward, which runs it once.
 */
export async function traceInputs<T>(fn: () => T | Promise<T>): Promise<TracedInputs<T>> {
  checkFunction('traceInputs', fn);
  const mark = nodeMark();
  const seen = new Set<Node>();
  const found: Tensor[] = [];
  const observe = (ins: readonly Tensor[]): void => {
    for (const t of ins) {
      const n = t._gradNode();
      if (!n || n.seq >= mark || seen.has(n)) continue;
      seen.add(n);
      found.push(t);
    }
  };
  const value = await runWith({ grad: true, observe }, fn);
  return { value, inputs: found };
}
