/**
 * kernels/copy.wgsl: dst view ← src view over a shape, one thread an element, 2-D grids past 65535
 * workgroups; ranks above MAX_RANK after collapsing are split into one dispatch per leading index.
 */
import type { View } from '../../backend.js';
import { dispatchOf, grid1d, groupsFor, kernelFile, type Dispatch, type Limits } from './kernel.js';
import { stridedParts } from './strided.js';

export const COPY = kernelFile(
  'copy',
  {
    size: 'u32',
    rank: 'u32',
    srcOff: 'i32',
    dstOff: 'i32',
    shape: 'array<vec4<u32>, 2>',
    sst: 'array<vec4<i32>, 2>',
    dst: 'array<vec4<i32>, 2>',
  },
  { dstBuf: [1, 'rw'], srcBuf: [2, 'r'] },
);
export const COPY_MAIN = COPY.entry('copy_main', ['dstBuf', 'srcBuf']);

/** dst[dv(i)] = src[sv(i)] over `shape`; src and dst are distinct buffers. */
export function copyPlan(src: GPUBuffer, sv: View, dst: GPUBuffer, dv: View, shape: readonly number[], lim: Limits): Dispatch[] {
  return stridedParts(shape, [sv, dv]).map((p) =>
    dispatchOf(COPY_MAIN, [dst, src], grid1d(groupsFor(p.size), lim), {
      size: p.size,
      rank: p.shape.length,
      srcOff: p.offsets[0],
      dstOff: p.offsets[1],
      shape: p.shape,
      sst: p.strides[0],
      dst: p.strides[1],
    }),
  );
}
