// Ctrl-C (or SIGTERM) during a run with a checkpoint folder asks for a checkpoint at the next group
// of steps; the run then stops with exit code 130. A second signal within two seconds is the same
// request (the terminal and bin/kiln.js may both pass it on); a later one stops at once.

/** Exit code of a run stopped by a signal after its checkpoint was written (128 + SIGINT). */
export const STOPPED_EXIT_CODE = 130;

/** Starts listening; asked() is true once a stop was requested. */
export function watchStopSignals(): { asked: () => boolean } {
  let askedAt: number | null = null;
  const onSignal = () => {
    const now = performance.now();
    if (askedAt !== null && now - askedAt > 2000) process.exit(STOPPED_EXIT_CODE);
    if (askedAt === null) console.error('\nstopping: a checkpoint is written at the next step boundary (Ctrl-C again to quit without it)');
    askedAt ??= now;
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, onSignal);
  return { asked: () => askedAt !== null };
}
