/** A job run every so often, stopped by `stop` (which waits for a run in flight). */
export interface PeriodicJob {
  stop(): Promise<void>;
}

/**
 * Runs `job` every `everyMs` (the sweeps, the settlement pull): a run that is still going when the
 * next is due is not doubled; a run that throws is handed to `onError` and the next runs as usual.
 * The timer does not keep the process alive.
 */
export function runEvery(everyMs: number, job: () => Promise<unknown>, onError: (error: unknown) => void): PeriodicJob {
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    running ??= job()
      .catch(onError)
      .finally(() => (running = undefined));
  }, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
