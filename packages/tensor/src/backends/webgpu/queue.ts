/**
 * The WebGPU command queue: one open command encoder and compute pass, the uniform ring, bind groups,
 * temporaries, readback staging, and the rules of when to submit.
 *
 * - Every kernel is a dispatch recorded into the one open compute pass. The encoder is submitted every
 *   FLUSH_EVERY dispatches, before any read, and before any `write()` (queue.writeBuffer runs on the queue
 *   timeline ahead of unsubmitted commands, so earlier recorded commands must go first).
 * - Per-dispatch parameters go into 256-byte slots of one uniform ring: a host-side mirror is filled while
 *   recording (by each kernel's declared layout, uniforms.ts) and uploaded with one writeBuffer just before the
 *   submit. A dispatch takes any slot not yet taken in this submit, the one a cached bind group binds when it
 *   can (bindgroups.ts). The ring is reused after every submit: queue order guarantees the previous submission
 *   read its old contents.
 * - `destroyRaw` of a buffer while commands are recorded defers the destroy until after the next submit
 *   (Dawn itself keeps submitted-but-running work safe). Returning a buffer to the pool needs no delay: whoever
 *   takes it next records its commands later in the same queue order.
 * - Every buffer comes from the device's allocator: the ring and staging under the label `internal`,
 *   temporaries and scratch from the storage pool. Device errors and use after destroy throw typed errors.
 */
import type { GpuTimer } from './timing.js';
import { DeviceDestroyedError, DeviceError, InvalidArgumentError, SympodeError } from '../../errors.js';
import type { Allocator, Block } from '../../memory/allocator.js';
import type { BackendCounters } from '../backend.js';
import { BindGroupCache } from './bindgroups.js';
import { collectGarbage, nextTask } from './collect.js';
import type { Dispatch } from './kernels/kernel.js';
import type { ProgramCache } from './programs.js';
import { writeUniforms, type UniformViews } from './uniforms.js';

const MAP_READ = 0x1; // GPUMapMode.READ

/** Tasks a relief waits at most for finalizers (one usually does; V8 may queue other cleanups first). */
const RELIEF_TASKS = 8;

/** Dispatches recorded before a submit. */
export const FLUSH_EVERY = 16;
/** Bytes of one uniform slot (WebGPU's minUniformBufferOffsetAlignment is at most 256). */
export const SLOT_BYTES = 256;
const RING_SLOTS = 64;
/** Staging buffers are powers of two up to this; longer reads go through it in chunks. */
const STAGING_MAX = 64 << 20;
/** Staging buffers up to this size are pooled after a read; larger ones are destroyed. */
const STAGING_KEEP = 16 << 20;

/** `e` as a SympodeError (device and driver failures arrive as plain Errors or DOMExceptions). */
export function asDeviceError(e: unknown, what: string): SympodeError {
  if (e instanceof SympodeError) return e;
  return new DeviceError(`sympode webgpu: ${what}: ${e instanceof Error ? e.message : String(e)}`);
}

export class GpuQueue {
  private encoder: GPUCommandEncoder | null = null;
  /** Timestamps every dispatch while `memory.profile` runs (timing.ts). */
  private timer: GpuTimer | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private recorded = 0;
  private pendingDestroy: GPUBuffer[] = [];
  private ring: Block | null = null;
  private ringOwner: Allocator | null = null;
  private readonly ringHost = new ArrayBuffer(SLOT_BYTES * RING_SLOTS);
  private readonly views: UniformViews = {
    u32: new Uint32Array(this.ringHost),
    i32: new Int32Array(this.ringHost),
    f32: new Float32Array(this.ringHost),
  };
  /** Ring slots taken by the dispatches recorded since the last submit, and one past the highest. */
  private readonly slots = { used: new Uint8Array(RING_SLOTS) };
  private slotsTaken = 0;
  private slotsEnd = 0;
  private readonly groups: BindGroupCache;
  /** The first device error (uncaptured error, device lost); thrown by every later call. */
  error: SympodeError | undefined;
  destroyed = false;

  constructor(
    private readonly device: GPUDevice,
    private readonly programs: ProgramCache,
    private readonly counters: BackendCounters,
    private readonly allocator: () => Allocator,
    liveBindGroupLimit = Infinity,
  ) {
    this.groups = new BindGroupCache(device, counters, liveBindGroupLimit);
  }

  /** A relief when enough dropped bind groups await collection (collect.ts), else null. */
  relief(): Promise<void> | null {
    if (this.destroyed || !this.groups.reliefDue()) return null;
    this.groups.relieved();
    // Submitted, the recorded commands stop holding groups once they finish; then collect and let finalizers run.
    this.flush();
    return this.collect();
  }

  /** A full collection, then tasks until the finalizers have counted groups out (a few at most). */
  private async collect(): Promise<void> {
    const live = this.counters.liveBindGroups;
    collectGarbage();
    for (let i = 0; i < RELIEF_TASKS && this.counters.liveBindGroups === live; i++) await nextTask();
  }

  /** Takes the uniform ring from `allocator` (the device's, once it exists). */
  attach(allocator: Allocator): void {
    if (this.ringOwner === allocator) return;
    this.flush();
    if (this.ring && this.ringOwner) this.ringOwner.freeInternal(this.ring, false);
    this.groups.clear();
    this.ring = allocator.allocInternal('uniform', this.ringHost.byteLength, 'uniform ring');
    this.ringOwner = allocator;
  }

  /** Throws the device's error, or DeviceDestroyedError after destroy. */
  check(): void {
    if (this.destroyed) throw new DeviceDestroyedError('sympode webgpu: the device was used after destroy(); create a new one');
    if (this.error) throw this.error;
  }

  /** Records the dispatches in order. */
  run(dispatches: readonly Dispatch[]): void {
    for (const d of dispatches) this.dispatch(d);
  }

  /** Records a buffer-to-buffer copy (byte offsets and size multiples of 4). */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.endPass();
    this.openEncoder().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /** A storage buffer for commands about to be recorded; give it back with `release` once they are. */
  temp(bytes: number, op = 'temporary'): Block {
    this.check();
    return this.allocator().allocInternal('storage', bytes, op);
  }

  release(block: Block): void {
    this.allocator().freeInternal(block);
  }

  write(dst: GPUBuffer, data: ArrayLike<number>, offset: number): void {
    const n = data.length;
    if (n === 0) return;
    this.check();
    if ((offset + n) * 4 > dst.size) {
      throw new InvalidArgumentError(`sympode webgpu: write of ${n} elements at ${offset} overruns a ${dst.size}-byte buffer`);
    }
    this.flush();
    const arr = data instanceof Float32Array ? data : Float32Array.from(data);
    this.device.queue.writeBuffer(dst, offset * 4, arr.buffer, arr.byteOffset, n * 4);
  }

  async read(src: GPUBuffer, offset: number, size: number): Promise<Float32Array> {
    this.counters.readbacks++;
    this.check();
    if (size === 0) {
      this.flush();
      await this.settle();
      return new Float32Array(0);
    }
    const bytes = size * 4;
    if (offset * 4 + bytes > src.size) {
      throw new InvalidArgumentError(`sympode webgpu: read of ${size} elements at ${offset} overruns a ${src.size}-byte buffer`);
    }
    const out = new Float32Array(size);
    const chunk = Math.min(bytes, STAGING_MAX);
    const alloc = this.allocator();
    const stage = alloc.allocInternal('staging', Math.max(256, 2 ** Math.ceil(Math.log2(chunk))), 'readback staging');
    const buf = stage.raw as GPUBuffer;
    let ok = false;
    try {
      for (let done = 0; done < bytes; done += chunk) {
        const n = Math.min(chunk, bytes - done);
        this.copy(src, offset * 4 + done, buf, 0, n);
        this.flush();
        try {
          await buf.mapAsync(MAP_READ, 0, n);
        } catch (e) {
          this.check(); // destroyed while mapping: DeviceDestroyedError
          await this.settle();
          throw asDeviceError(e, 'readback failed');
        }
        out.set(new Float32Array(buf.getMappedRange(0, n)), done / 4);
        buf.unmap();
      }
      ok = true;
    } finally {
      // A failed mapping may leave the buffer unusable: only a clean one goes back to the pool.
      alloc.freeInternal(stage, ok && !this.destroyed && stage.allocBytes <= STAGING_KEEP);
    }
    await this.settle();
    return out;
  }

  /** Starts timestamping every dispatch (one pass each); `stopTiming` returns the timer. */
  startTiming(timer: GpuTimer): boolean {
    if (this.timer) return false;
    this.flush();
    this.timer = timer;
    return true;
  }
  stopTiming(): GpuTimer | null {
    this.flush();
    const t = this.timer;
    this.timer = null;
    return t;
  }

  /** Submits the recorded commands (after uploading the ring) and destroys deferred buffers. */
  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    const queue = this.device.queue;
    if (this.slotsEnd > 0) queue.writeBuffer(this.ring!.raw as GPUBuffer, 0, this.ringHost, 0, this.slotsEnd * SLOT_BYTES);
    const afterSubmit = this.timer?.resolve(this.encoder);
    queue.submit([this.encoder.finish()]);
    afterSubmit?.();
    this.counters.submits++;
    this.encoder = null;
    this.recorded = 0;
    this.slots.used.fill(0);
    this.slotsTaken = 0;
    this.slotsEnd = 0;
    for (const buf of this.pendingDestroy) {
      this.groups.forget(buf);
      buf.destroy();
    }
    this.pendingDestroy = [];
  }

  /** Resolves when every pipeline made so far compiled and all submitted work finished; throws any error. */
  async sync(): Promise<void> {
    this.check();
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.settle();
  }

  destroyRaw(raw: GPUBuffer): void {
    this.groups.forget(raw);
    // Recorded-but-unsubmitted commands may still use it: destroy after the next submit.
    if (this.encoder) this.pendingDestroy.push(raw);
    else raw.destroy();
  }

  /** Submits what is recorded and gives the ring back (the backend's destroy). */
  close(): void {
    this.flush();
    if (this.ring && this.ringOwner) this.ringOwner.freeInternal(this.ring, false);
    this.ring = null;
    this.ringOwner = null;
    this.groups.clear();
    this.destroyed = true;
  }

  // ---- internals -------------------------------------------------------------------------------------------

  /** Waits for the compiler's verdicts; throws a compile failure or the device's error. */
  private async settle(): Promise<void> {
    await this.programs.check();
    if (this.error) throw this.error;
  }

  private openEncoder(): GPUCommandEncoder {
    return (this.encoder ??= this.device.createCommandEncoder());
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  /** Records one dispatch: parameters into a fresh (zeroed) ring slot, a bind group, the grid. */
  private dispatch(d: Dispatch): void {
    this.check();
    if (this.timer?.full) this.flush();
    const k = d.kernel;
    const prog = this.programs.forKernel(k, d.defines);
    if (!this.ring) this.attach(this.allocator());
    if (this.slotsTaken >= RING_SLOTS) this.flush();
    // A cached bind group on any slot still free in this submit, else a new one (bindgroups.ts).
    const { group, slot } = this.groups.acquire(prog, this.ring!.raw as GPUBuffer, SLOT_BYTES, d.buffers, this.slots);
    this.slots.used[slot] = 1;
    this.slotsTaken++;
    this.slotsEnd = Math.max(this.slotsEnd, slot + 1);
    const offset = slot * SLOT_BYTES;
    this.views.u32.fill(0, offset / 4, (offset + k.params.size) / 4);
    writeUniforms(k.params, d.params, this.views, offset);
    let pass: GPUComputePassEncoder;
    if (this.timer) {
      this.endPass();
      pass = this.timer.pass(this.openEncoder(), `${k.file}:${k.entry}`);
    } else pass = this.pass ??= this.openEncoder().beginComputePass();
    pass.setPipeline(prog.pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(d.grid[0], d.grid[1], d.grid[2]);
    if (this.timer) pass.end();
    this.counters.dispatches++;
    if (++this.recorded >= FLUSH_EVERY) this.flush();
  }
}
