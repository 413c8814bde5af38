/**
 * SIGINT and SIGTERM in the command line. By default the staging folders of outputs being written are removed
 * (so the --out folder keeps the previous run's files) and the process exits at once with 128 + the signal's
 * number. While a checkpointing run trains ({@link gracefulStop}), the first signal instead asks it to stop
 * after the current iteration and save a checkpoint (the command then exits with the same status); a second
 * signal exits at once, leaving the last checkpoint saved.
 */
import { discardPending } from './outputs.js';

/** The signals handled. */
export type StopSignal = 'SIGINT' | 'SIGTERM';

/** Exit status after a signal: 128 + its number. */
export const SIGNAL_EXIT: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };

let stopper: AbortController | null = null;

function onSignal(sig: StopSignal): void {
  if (stopper && !stopper.signal.aborted) {
    stopper.abort(sig);
    process.stderr.write(`\nsympode: ${sig}: saving a checkpoint after the current iteration, then stopping (send it again to quit at once, keeping the last checkpoint)\n`);
    return;
  }
  discardPending();
  process.stderr.write(`\nsympode: stopped by ${sig}; the outputs being written were discarded, the files already in the output folder are unchanged\n`);
  process.exit(SIGNAL_EXIT[sig]);
}

/** Installs the handlers (the command-line entry point only: never inside a library user's process). */
export function installSignalHandlers(): void {
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
}

/**
 * Turns the next signal into a request to stop: `signal` is aborted with the signal's name as its reason.
 * `release()` ends the window (signals exit at once again). Without installed handlers nothing is delivered.
 */
export function gracefulStop(): { signal: AbortSignal; release(): void } {
  const c = new AbortController();
  stopper = c;
  return { signal: c.signal, release: () => void (stopper === c && (stopper = null)) };
}

/** The signal that stopped a run, from its AbortSignal's reason (SIGINT when aborted otherwise). */
export const stopSignalOf = (s: AbortSignal): StopSignal => (s.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
