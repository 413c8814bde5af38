/** Typed solver errors: each message names what went wrong and where (t, h, step index). */
import { InvalidArgumentError, SympodeError } from '@sympode/tensor';

/** The adaptive step size became too small to advance t. */
export class StepSizeUnderflowError extends SympodeError {}

/** More than `maxSteps` steps (accepted + rejected) were needed. */
export class MaxStepsExceededError extends SympodeError {}

/** The state or its derivative became NaN or infinite. */
export class NonFiniteStateError extends SympodeError {}

/** `gradient` names no known gradient method. */
export class UnknownGradientMethodError extends SympodeError {}

/** f read a tensor requiring grad that the solve did not track as a parameter (its gradient would be lost). */
export class UntrackedParameterError extends SympodeError {}

/** The adjoint (or a parameter gradient) became NaN or infinite during the backward pass. */
export class NonFiniteGradientError extends SympodeError {}

/**
 * A tolerance (`rtol`, `atol`, `adjointRtol`, `adjointAtol`) that cannot be met at the precision or within the
 * range of the device's dtype: an rtol below the dtype's rounding of the state itself, an atol below its
 * smallest normal number, or tolerances so small that the error norm overflows. The message names the option,
 * its value and the dtype's limit. An InvalidArgumentError too (it is a bad option, for this dtype).
 */
export class ToleranceError extends InvalidArgumentError {}

/** A solve or its backward was cancelled through odeint's `signal`; everything it held has been freed. */
export class AbortError extends SympodeError {}
