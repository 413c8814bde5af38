/** Typed solver errors: each message names what went wrong and where (t, h, step index). */
import { SympodeError } from '@sympode/tensor';

/** The adaptive step size became too small to advance t. */
export class StepSizeUnderflowError extends SympodeError {}

/** More than `maxSteps` steps (accepted + rejected) were needed. */
export class MaxStepsExceededError extends SympodeError {}

/** The state or its derivative became NaN or infinite. */
export class NonFiniteStateError extends SympodeError {}

/** `gradient` names no known gradient method. */
export class UnknownGradientMethodError extends SympodeError {}
