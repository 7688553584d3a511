/**
 * Graceful shutdown on SIGTERM / SIGINT, opt-in with `shutdown: { signals: true }` (a library
 * installs no signal handler behind its user's back; the examples and the CLI turn it on): the first
 * signal closes the runtime (stop accepting, let accepted tasks and connections finish, flush,
 * stop the drivers) within the deadline; then the process exits with code 0 unless something else
 * also listens for that signal. A second signal exits at once.
 */
export interface ShutdownOptions {
  /** Close on SIGTERM and SIGINT, then exit. Default false. */
  signals?: boolean;
  /** How long close() lets accepted work finish before destroying what is left. Default 10000. */
  timeoutMs?: number;
}

export function installSignalHandlers(close: () => Promise<void>): () => void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    closing = true;
    close().then(
      () => {
        uninstall();
        if (process.listenerCount(signal) === 0) process.exit(process.exitCode ?? 0);
      },
      () => process.exit(1),
    );
  };
  const uninstall = () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return uninstall;
}
