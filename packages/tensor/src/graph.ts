/**
 * The autograd graph: one Node per recorded op output, holding its input nodes, its backward and the storages
 * it saved. Nodes are reference counted (by their output tensors, consumer nodes and saved-tensor links), so a
 * graph dropped without backward still frees what it saved. Release and traversal are iterative: a solve's
 * graph is 10⁵–10⁶ nodes deep, far beyond the JS stack.
 */
import { GraphFreedError, InPlaceModificationError } from './errors.js';
import type { Storage } from './storage.js';
import { fmt } from './shape.js';
import { Tensor } from './tensor.js';

let nextSeq = 1;

/** The sequence number the next node will get: nodes made before a call have smaller ones. */
export function nodeMark(): number {
  return nextSeq;
}

/** A storage's version when an op used it, checked before that op's backward reads it again. */
export interface VersionMark {
  storage: Storage;
  version: number;
  /** The tensor's id and shape, for the message. */
  id: number;
  shape: readonly number[];
}

/** `t`'s storage at its current version (the storage is not retained: the caller holds it as it needs). */
export function versionMark(t: Tensor): VersionMark {
  const storage = t._storage;
  return { storage, version: storage.version, id: t.id, shape: t.shape };
}

/** Throws InPlaceModificationError when `m`'s storage was written in place since it was marked. */
export function checkVersion(op: string, m: VersionMark): void {
  if (m.storage.version === m.version) return;
  throw new InPlaceModificationError(
    `tensor #${m.id} (shape ${fmt(m.shape)}), needed by the backward of '${op}', was modified in place by ${m.storage.lastWrite} ` +
      `after it was used (version ${m.storage.version}, expected ${m.version}): the gradient would come from the new values; ` +
      'run backward before modifying it, or give the op a clone()',
  );
}

/** A value, or a promise of it (backward functions may be async). */
export type MaybePromise<T> = T | Promise<T>;

/**
 * An input gradient a backward returns unevaluated (a built-in op's, e.g. `combineTerms`' c·g), so that the
 * engine can fold it into a gradient sum the input already has in one op instead of computing it and adding.
 */
export interface DeferredGrad {
  /** The shape of the gradient (the input's). */
  readonly shape: readonly number[];
  /** The gradient as a new tensor (the input's first contribution). */
  value(): Tensor;
  /** `sum` + the gradient as a new tensor, in one op (a later contribution); `sum` stays the caller's. */
  addTo(sum: Tensor): Tensor;
}

/** Computes input gradients from the output gradient; `needs[i]` says whether input i's gradient is wanted. */
export type BackwardFn = (
  gradOutput: Tensor,
  saved: Tensor[],
  needs: readonly boolean[],
) => MaybePromise<readonly (Tensor | DeferredGrad | null | undefined)[]>;

/** A storage a node keeps for its backward. */
export interface Saved extends VersionMark {
  /** The saved tensor's node, so a createGraph backward can differentiate through it (held by reference). */
  node: Node | null;
  /** The op's own output: its node is the owning node itself (not held, which would be a cycle). */
  isOutput: boolean;
}

/** What a node knows about its op beyond the backward. */
export interface NodeInfo {
  /** Shapes of the inputs: a backward's gradients must have them. */
  inputShapes?: readonly (readonly number[])[];
  /** Runs once when the saved state is released (after backward, or when the graph is dropped). */
  onRelease?: () => void;
  /**
   * Whether the backward may run while a graph is recorded (createGraph). Built-in ops are (their backward is
   * made of differentiable ops); a custom op says so explicitly, else a second derivative through it throws.
   */
  differentiableBackward?: boolean;
  /** Tensors the backward reads besides the saved ones (a custom op's closure): checked like saved ones. */
  reads?: readonly VersionMark[];
}

export class Node {
  /** Creation order (see `nodeMark`): tells nodes recorded inside a call from those it found. */
  readonly seq = nextSeq++;
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
    readonly info: NodeInfo = {},
  ) {
    for (const n of inputs) n?.incref();
  }

  get isLeaf(): boolean {
    return this.leaf !== null;
  }

  incref(): void {
    this.refs++;
  }

  /** Drops one owner; the last one frees the saved storages and releases the inputs (iteratively). */
  decref(): void {
    if (--this.refs > 0) return;
    const pending: Node[] = [this];
    while (pending.length) pending.pop()!.release(pending);
  }

  /** Frees what backward needed (after a backward without retainGraph). */
  freeSaved(): void {
    const pending: Node[] = [];
    this.dropSaved(pending);
    while (pending.length) pending.pop()!.release(pending);
  }

  /** This node reached zero references: free its state, and queue the nodes that reach zero in turn. */
  private release(pending: Node[]): void {
    this.dropSaved(pending);
    for (const n of this.inputs) if (n && --n.refs === 0) pending.push(n);
  }

  private dropSaved(pending: Node[]): void {
    if (this.freed) return;
    this.freed = true;
    const saved = this.saved;
    this.saved = [];
    for (const s of saved) {
      s.storage.release();
      if (s.node && --s.node.refs === 0) pending.push(s.node);
    }
    this.info.onRelease?.();
  }

  savedTensors(device: Tensor['device']): Tensor[] {
    if (this.freed) {
      throw new GraphFreedError(
        `backward through '${this.name}' a second time: its saved tensors were freed by the first backward; pass { retainGraph: true } to keep them`,
      );
    }
    for (const s of this.saved) checkVersion(this.name, s);
    for (const r of this.info.reads ?? []) checkVersion(this.name, r);
    return this.saved.map((s) => {
      const t = Tensor._fromStorage(device, s.storage.retain(), s.shape);
      const node = s.isOutput ? this : s.node;
      if (node) t._attachNode(node);
      return t;
    });
  }
}

/** Iterative post-order DFS: inputs before consumers; the inputs of `stop` nodes are not entered. */
export function topoOrder(root: Node, stop?: ReadonlySet<Node>): Node[] {
  const order: Node[] = [];
  const seen = new Set<Node>([root]);
  const stack: [Node, number][] = [[root, 0]];
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [node, i] = top;
    if (i < node.inputs.length && !stop?.has(node)) {
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

/**
 * The leaf tensors requiring grad that `t`'s graph reaches (e.g. the parameters a closure reads), in the
 * order first reached. Empty when `t` records no graph.
 */
export function graphLeaves(t: Tensor): Tensor[] {
  const root = t._gradNode();
  if (!root) return [];
  const leaves: Tensor[] = [];
  for (const n of topoOrder(root)) if (n.leaf && !n.leaf.isDisposed && n.leaf.requiresGrad) leaves.push(n.leaf);
  return leaves;
}
