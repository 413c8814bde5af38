/**
 * @sympode/tensor: a small reverse-mode tensor library with WebGPU and CPU backends and an allocator that
 * counts every byte.
 */
export { createDevice, Device } from './device.js';
export type { BackendName, DeviceOptions, NestedArray, TensorOptions, RandomOptions } from './device.js';
export type {
  KernelStyle, WebGpuOptions, WebGpuLike, WebGpuAdapterLike, WebGpuDeviceLike, WebGpuAdapterInfoLike, WebGpuPowerPreference,
} from './backends/webgpu/public-types.js';
export { Tensor } from './tensor.js';
export type { NestedNumbers } from './tensor.js';
export type { Operand } from './tensor.js';
export { grad, noGrad, enableGrad, isGradEnabled, customVjp, traceInputs } from './autograd.js';
export type { GradOptions, BackwardFn, DeferredGrad, CustomVjpOptions, CustomBackward, MaybePromise, TracedInputs } from './autograd.js';
export { graphLeaves } from './graph.js';
export { concurrentContexts } from './context.js';
export { concat, stack } from './ops/movement.js';
export { where } from './ops/elementwise.js';
export { linear, activationGrad, weightGrad, LINEAR_ACTIVATIONS } from './ops/linear.js';
export { combineRows, writeRow, writeRows, errorRatio, MAX_COMBINED_ROWS } from './ops/rows.js';
export { combineTerms } from './ops/combine-terms.js';
export { errorRatioPerSample } from './ops/error-ratio-per-sample.js';
export * from './errors.js';
export type { MemoryStats, LabelStats } from './memory/allocator.js';
export { DEFAULT_LABEL, INTERNAL_LABEL } from './memory/allocator.js';
export type { Memory } from './memory/memory.js';
export type { AllocationTrace, TraceEvent, TraceOptions, DroppedSummary } from './memory/trace.js';
export { DEFAULT_MAX_EVENTS } from './memory/trace.js';
export type { MemorySnapshot, StorageInfo } from './memory/snapshot.js';
export type { Profile, OpProfile } from './memory/profile.js';
export { profileTable } from './memory/profile.js';
export type { Backend, BackendCounters, BufferKind, DType, KernelTiming, View, UnaryOp, BinaryOp, ReduceOp, LinearActivation } from './backends/backend.js';
export { CpuBackend, WASM_MIN_MNK, type CpuArray, type CpuBackendOptions } from './backends/cpu.js';
export { sizeOf, broadcastShapes } from './shape.js';
export type { Shape } from './shape.js';
export { Rng, type RngState } from './random.js';
export * as nn from './nn.js';
export * as optim from './optim.js';
