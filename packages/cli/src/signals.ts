/**
 * SIGINT and SIGTERM in the command line: the staging folders of outputs being written are removed (so the
 * --out folder keeps the previous run's files) and the process exits at once with 128 + the signal's number.
 */
import { discardPending } from './outputs.js';

/** Exit status after a signal: 128 + its number. */
export const SIGNAL_EXIT: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 };

function onSignal(sig: 'SIGINT' | 'SIGTERM'): void {
  discardPending();
  process.stderr.write(`\nsympode: stopped by ${sig}; the outputs being written were discarded, the files already in the output folder are unchanged\n`);
  process.exit(SIGNAL_EXIT[sig]);
}

/** Installs the handlers (the command-line entry point only: never inside a library user's process). */
export function installSignalHandlers(): void {
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));
}
