/**
 * Typed errors. Every failure the library detects is one of these, with a message naming what was wrong,
 * so callers can `instanceof`-dispatch and users read the cause without a stack dive.
 */
export class SympodeError extends Error {
  /** `options.cause`: the underlying error, when this one wraps another (e.g. a backend's RangeError). */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Shapes that do not fit together (broadcasting, matmul, reshape, concat, ...). */
export class ShapeError extends SympodeError {}

/** A tensor used after `dispose()` (or after the `tidy` that owned it ended). */
export class DisposedTensorError extends SympodeError {}

/** An argument outside its documented domain (bad option, unknown name, wrong device, ...). */
export class InvalidArgumentError extends SympodeError {}

/** NaN or ±Infinity where the API forbids it. */
export class NonFiniteError extends SympodeError {}

/** No usable compute device (e.g. no WebGPU adapter). */
export class DeviceUnavailableError extends SympodeError {}

/**
 * A request beyond what the device allows, e.g. a WebGPU buffer larger than the adapter's
 * `maxStorageBufferBindingSize` or `maxBufferSize`. Raised before anything is allocated, so the device stays
 * usable; the message names the size, the limit and what to do (smaller batches or chunks, or a device with
 * larger limits).
 */
export class DeviceLimitError extends SympodeError {}

/**
 * The compute device failed: a WebGPU device was lost (driver reset, out of memory, destroyed elsewhere) or
 * reported an error (validation, out of memory, internal, a kernel that does not compile). The message holds
 * the device's own. A lost device cannot be used further: create a new one.
 */
export class DeviceError extends SympodeError {}

/**
 * A device used after `destroy()`: its factories, ops on its tensors, kernels, readbacks (create a new device;
 * its tensors may still be disposed).
 */
export class DeviceDestroyedError extends SympodeError {}

/** Backward through a graph whose saved tensors were already released. */
export class GraphFreedError extends SympodeError {}

/**
 * A tensor a backward needs was modified in place after it was used (an optimizer step, `loadStateDict`,
 * `writeRow` between forward and backward): its gradient would silently be computed from the new values. The
 * message names the tensor, its shape, the op that needs it and the one that modified it; run backward
 * before the update, or compute from a `clone()`.
 */
export class InPlaceModificationError extends SympodeError {}

/** `grad` was asked for an input the output does not depend on (pass `allowUnused` for zeros). */
export class UnusedInputError extends SympodeError {}

/** A second derivative (`createGraph`) through an op whose backward cannot be differentiated again. */
export class HigherOrderGradientError extends SympodeError {}

/**
 * Two calls interfered through shared state, e.g. concurrent async work where the runtime cannot keep their
 * contexts apart (browsers without AsyncContext).
 */
export class ConcurrencyError extends SympodeError {}
