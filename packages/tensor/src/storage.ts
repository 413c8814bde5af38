/**
 * A reference-counted buffer. Tensor handles (and graph nodes that saved a tensor for backward) each hold
 * one reference; the block returns to the allocator when the last one is released. This is what lets a
 * `reshape` share memory and the autograd tape keep exactly what backward needs, and nothing longer.
 */
import type { Allocator, Block } from './memory/allocator.js';

export class Storage {
  private refs = 1;
  /**
   * Bumped by every in-place write (optimizer steps, `loadStateDict`, `writeRow`…), as PyTorch's version
   * counter: a graph node records it when it saves this storage, and its backward refuses to run on a newer one.
   */
  version = 0;
  /** The in-place op that wrote last (for the error that names it). */
  lastWrite = '';

  constructor(
    readonly allocator: Allocator,
    readonly block: Block,
    /** Element count. */
    readonly size: number,
  ) {}

  get raw(): unknown {
    return this.block.raw;
  }

  get alive(): boolean {
    return this.refs > 0;
  }

  retain(): this {
    if (this.refs <= 0) throw new Error('internal: retain of a released storage');
    this.refs++;
    return this;
  }

  /** Records an in-place write by `op`. */
  bump(op: string): void {
    this.version++;
    this.lastWrite = op;
  }

  release(): void {
    if (this.refs <= 0) throw new Error('internal: storage released twice');
    if (--this.refs === 0) this.allocator.free(this.block);
  }
}
