/**
 * Bind groups cost ~30 µs each to create through Dawn's Node bindings on lavapipe, more than a small dispatch,
 * so they are cached until a member buffer is destroyed. A group binds one slot of the uniform ring, so the
 * cache is keyed by (layout, buffers) and holds one group per slot it was made for: a dispatch takes any of
 * them whose slot is still free in the current submit, and only makes a new group (on a free slot) when none
 * is. Reuse then does not depend on a dispatch landing on the same slot as last time, which irregular op
 * sequences (a backward sweep's stages, say) never do. (Dynamic uniform offsets would avoid slots in the key
 * altogether, but they made every dispatch about twice as slow on lavapipe.)
 */
import type { Program } from './programs.js';
import type { BackendCounters } from '../backend.js';
import { DeviceLimitError } from '../../errors.js';

const CACHE_MAX = 8192;
/** Groups dropped from the cache but not yet collected past which a relief (collect.ts) is due. */
const RELIEF_GARBAGE = 2048;

/**
 * Counts a group out of its device's counters once V8 has collected its wrapper (when Dawn releases it). One
 * registry for every device: V8 cleans up one registry per task, so a registry per device could make a
 * relief wait behind another device's garbage.
 */
const collected = new FinalizationRegistry<BackendCounters>((c) => {
  c.liveBindGroups--;
});

/** Which ring slots the commands being recorded use. */
export interface SlotState {
  /** used[slot] is 1 once a dispatch of the current submit took it. */
  readonly used: Uint8Array;
}

export class BindGroupCache {
  /** (layout, buffers) → group per ring slot. */
  private readonly groups = new Map<string, Map<number, GPUBindGroup>>();
  private readonly keysOf = new Map<number, string[]>();
  private readonly ids = new WeakMap<GPUBuffer, number>();
  private nextId = 0;
  private count = 0;
  /** Groups created since the last relief. */
  private sinceRelief = 0;

  /**
   * `liveLimit`: live groups past which creating one more throws DeviceLimitError instead of letting the
   * driver crash the process (lavapipe's mappings; Infinity where nothing is known to break).
   */
  constructor(
    private readonly device: GPUDevice,
    private readonly counters: BackendCounters,
    private readonly liveLimit = Infinity,
  ) {}

  /** Whether enough dropped groups await collection that a relief should run (see collect.ts). */
  reliefDue(): boolean {
    return this.sinceRelief >= RELIEF_GARBAGE && this.counters.liveBindGroups - this.count >= RELIEF_GARBAGE;
  }

  /** Called when a relief ran: the next one is due only after as many new groups again. */
  relieved(): void {
    this.sinceRelief = 0;
  }

  /**
   * A bind group of `prog` with binding 0 = `ring` at a slot free in `slots` (`slotBytes` each) and `buffers`,
   * and that slot (the caller marks it used).
   */
  acquire(prog: Program, ring: GPUBuffer, slotBytes: number, buffers: readonly GPUBuffer[], slots: SlotState): { group: GPUBindGroup; slot: number } {
    let key = `${prog.layoutId}`;
    for (const b of buffers) key += `,${this.id(b)}`;
    let bySlot = this.groups.get(key);
    if (bySlot) for (const [slot, group] of bySlot) if (!slots.used[slot]) return { group, slot };
    // A new group: on a free slot picked from the key's hash, so different keys tend to own different slots and
    // rarely find theirs taken. (The queue submits before every slot is taken, so one is free; and a free slot
    // holds none of this key's groups, or the loop above would have returned it.)
    const n = slots.used.length;
    let slot = hash(key) % n;
    while (slots.used[slot]) slot = (slot + 1) % n;
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: ring, offset: slot * slotBytes, size: slotBytes } }];
    prog.bindings.forEach(([binding], k) => entries.push({ binding, resource: { buffer: buffers[k] } }));
    const c = this.counters;
    if (c.liveBindGroups >= this.liveLimit) {
      throw new DeviceLimitError(
        `sympode webgpu: ${c.liveBindGroups} bind groups are alive or await garbage collection, the most this adapter ` +
          'takes before its driver runs out of memory mappings and crashes the process (Dawn frees a bind group only ' +
          'when its JS wrapper is collected). A loop that records work without ever yielding to the event loop ' +
          'causes this: `await device.relieve()` in each iteration (the solvers do it for every evaluation of f).',
      );
    }
    const group = this.device.createBindGroup({ layout: prog.layout, entries });
    collected.register(group, c);
    c.bindGroups++;
    c.peakLiveBindGroups = Math.max(c.peakLiveBindGroups, ++c.liveBindGroups);
    this.sinceRelief++;
    if (this.count >= CACHE_MAX) {
      this.clear();
      bySlot = undefined;
    }
    if (!bySlot) {
      this.groups.set(key, (bySlot = new Map()));
      for (const b of buffers) {
        const id = this.id(b);
        const keys = this.keysOf.get(id);
        if (keys) keys.push(key);
        else this.keysOf.set(id, [key]);
      }
    }
    this.count++;
    bySlot.set(slot, group);
    return { group, slot };
  }

  /** Drops every group that binds `b` (before `b` is destroyed). */
  forget(b: GPUBuffer): void {
    const id = this.ids.get(b);
    if (id === undefined) return;
    const keys = this.keysOf.get(id);
    if (keys) {
      for (const k of keys) {
        this.count -= this.groups.get(k)?.size ?? 0;
        this.groups.delete(k);
      }
    }
    this.keysOf.delete(id);
  }

  clear(): void {
    this.groups.clear();
    this.keysOf.clear();
    this.count = 0;
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

/** FNV-1a of a string (a slot preference, not a security hash). */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
