import type { Knex } from '@tamkeen/db';
import type { Logger } from '@tamkeen/http-kit';
import { runEvery, type PeriodicJob } from '../periodic-job.js';
import type { PaymentProvider } from '../psp/payment-provider.js';
import { checkMissingSettlements } from './missing-settlements.js';
import type { SettlementRules } from './settlement-line.js';
import { pullSettlements } from './settlement-pull.js';

export interface SettlementScheduleOptions {
  knex: Knex;
  psp: PaymentProvider;
  rules: SettlementRules;
  pull: { overlapMinutes: number; lookbackDays: number };
  everyMinutes: number;
  logger: Logger;
  now?: () => Date;
}

/**
 * Pulls the PSP's settlements and runs the missing-settlement check (as of now) every
 * `everyMinutes`. Every instance runs the schedule; the pull's lease lets one of them pull per
 * period (settlement-store.ts takeLease), and the check raises each exception once whoever runs it.
 */
export function startSettlementSchedule({ knex, psp, rules, pull, everyMinutes, logger, now = () => new Date() }: SettlementScheduleOptions): PeriodicJob {
  const everyMs = everyMinutes * 60_000;
  const run = async () => {
    const at = now();
    const pulled = await pullSettlements({ knex, psp, rules, ...pull, now, unlessStartedSince: new Date(at.getTime() - everyMs + 5_000) });
    if (pulled === 'running') return;
    const missing = await checkMissingSettlements(knex, rules, at);
    logger.info({ settlements: pulled, missing }, 'settlements pulled from the PSP; missing settlements checked');
  };
  return runEvery(everyMs, run, (error) => logger.error({ err: error }, `the settlement pull failed; it runs again in ${everyMinutes} minutes`));
}
