/** `memory.snapshot()`: what is live now, storage by storage, and what the pool keeps. */
import type { MemoryStats } from './allocator.js';

/** One live storage (the buffer behind one or more tensor handles: a `reshape` shares its source's). */
export interface StorageInfo {
  /** Buffer id (the `id` of its trace events). */
  id: number;
  label: string;
  /** Shape of the first tensor made on it. */
  shape: number[];
  dtype: string;
  /** Element count × element size. */
  bytes: number;
  /** What the backend allocated (≥ bytes). */
  allocBytes: number;
  /** The op that made it ('tensor', 'zeros', 'matmul', ...; '' when no op claimed it). */
  op: string;
  /** Shapes of that op's inputs, when it recorded them. */
  inputShapes?: number[][];
  /** Innermost `memory.phase` open when it was allocated ('' outside any; phases exist while a trace runs). */
  phase: string;
  /** Allocation stack, when a trace with `stacks: true` was running. */
  stack?: string;
}

/** Every live storage and the pool's contents at one moment; `JSON.stringify` exports it. */
export interface MemorySnapshot {
  stats: MemoryStats;
  /** Live storages, oldest first; their `bytes` sum to `stats.liveBytes`. */
  storages: StorageInfo[];
  /** Freed buffers kept for reuse, by allocation size; `allocBytes × buffers` sums to `stats.reservedBytes`. */
  pool: { allocBytes: number; buffers: number }[];
}
