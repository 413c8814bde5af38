/**
 * Bind groups cost ~30 µs each to create through Dawn's Node bindings on lavapipe, more than a small dispatch,
 * so they are cached by (layout, uniform ring slot, buffers) until a member buffer is destroyed. Ring slots
 * restart at 0 on every submit, so a loop that repeats the same ops between reads hits the cache.
 */
import type { Program } from './programs.js';

const CACHE_MAX = 8192;

export class BindGroupCache {
  private readonly groups = new Map<string, GPUBindGroup>();
  private readonly keysOf = new Map<number, string[]>();
  private readonly ids = new WeakMap<GPUBuffer, number>();
  private nextId = 0;

  constructor(private readonly device: GPUDevice) {}

  /** The bind group of `prog` with binding 0 = `ring` at `slotOffset` (`slotBytes` long) and `buffers`. */
  get(prog: Program, ring: GPUBuffer, slotOffset: number, slotBytes: number, buffers: readonly GPUBuffer[]): GPUBindGroup {
    let key = `${prog.layoutId}@${slotOffset}`;
    for (const b of buffers) key += `,${this.id(b)}`;
    let group = this.groups.get(key);
    if (group) return group;
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: ring, offset: slotOffset, size: slotBytes } }];
    prog.bindings.forEach(([binding], k) => entries.push({ binding, resource: { buffer: buffers[k] } }));
    group = this.device.createBindGroup({ layout: prog.layout, entries });
    if (this.groups.size >= CACHE_MAX) this.clear();
    this.groups.set(key, group);
    for (const b of buffers) {
      const id = this.id(b);
      const keys = this.keysOf.get(id);
      if (keys) keys.push(key);
      else this.keysOf.set(id, [key]);
    }
    return group;
  }

  /** Drops every group that binds `b` (before `b` is destroyed). */
  forget(b: GPUBuffer): void {
    const id = this.ids.get(b);
    if (id === undefined) return;
    const keys = this.keysOf.get(id);
    if (keys) for (const k of keys) this.groups.delete(k);
    this.keysOf.delete(id);
  }

  clear(): void {
    this.groups.clear();
    this.keysOf.clear();
  }

  private id(b: GPUBuffer): number {
    let id = this.ids.get(b);
    if (id === undefined) {
      id = ++this.nextId;
      this.ids.set(b, id);
    }
    return id;
  }
}
