/** The CLI's typed errors; `main` maps each to one line on stderr and an exit status. */
import { SympodeError } from '@sympode/tensor';

/** A bad command line: exit status 2, with the message saying what to type instead. */
export class UsageError extends SympodeError {}

/** A file-system failure on an output (or resume) path: which path, why, what to do; exit status 1. */
export class OutputError extends SympodeError {}

/**
 * A checkpoint that cannot be resumed: missing, unreadable or corrupt, written by another command or format
 * version, or made with options that differ from the ones given now (each named); exit status 1.
 */
export class CheckpointError extends SympodeError {}
