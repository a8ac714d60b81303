import type { Logger } from '@tamkeen/http-kit';

/** A relay running its rounds: `runOnce` is one round by hand (tests), `stop` ends the loop. */
export interface RelayRounds {
  /** One round: answers how many rows it claimed. */
  runOnce(): Promise<number>;
  /** Stops polling and waits for the round in flight (its claimed rows are recorded, not abandoned). */
  stop(): Promise<void>;
}

/**
 * Runs a relay's rounds (the webhook outbox's, the receipts'): the first at once, then again at
 * once while a round claims a full batch (there is more waiting), else after `pollMs`. A round
 * that throws is logged as `what` failing and tried again after `pollMs`.
 */
export function runRelayRounds({ round: runOnce, batchSize, pollMs, logger, what }: { round: () => Promise<number>; batchSize: number; pollMs: number; logger: Logger; what: string }): RelayRounds {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  const schedule = (ms: number) => {
    if (!stopped) timer = setTimeout(tick, ms);
  };
  function tick() {
    inFlight = runOnce().then(
      (claimed) => schedule(claimed >= batchSize ? 0 : pollMs),
      (error: unknown) => {
        logger.error({ err: error }, `${what} failed a round; it tries again`);
        schedule(pollMs);
      },
    );
  }
  schedule(0);
  return {
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
      clearTimeout(timer);
    },
  };
}
