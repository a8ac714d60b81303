import type { Knex } from '@tamkeen/db';
import type { PaymentProvider, PayoutSnapshot, PspPage } from '../psp/payment-provider.js';
import { payoutRepository, type PayoutRepository } from '../payouts/payout-repository.js';
import { lineOfBalanceTransaction, newCounts, type SettlementCounts, type SettlementRules } from './settlement-line.js';
import { matchPendingLines } from './settlement-matching.js';
import { advanceCursor, cursorOf, releaseLease, countSettledBy, storeLines, takeLease } from './settlement-store.js';

export interface PullOptions {
  knex: Knex;
  psp: PaymentProvider;
  rules: SettlementRules;
  /** How far before the newest `created` seen the next pull starts again (the PSP may write a transaction a little after its `created`). */
  overlapMinutes: number;
  /** How far back the very first pull starts. */
  lookbackDays: number;
  now: () => Date;
  payouts?: PayoutRepository;
  /** For a schedule: pull only if no pull started since then (answers `running` otherwise). */
  unlessStartedSince?: Date;
}

/** How long a pull may hold its lease before another may take it (one that died lets go by itself). */
const LEASE_MS = 30 * 60_000;

/** Every page of a PSP list, from the newest, each page given to `take` as it comes. */
async function eachPage<T>(list: (startingAfter?: string) => Promise<PspPage<T>>, take: (items: T[]) => Promise<void>): Promise<void> {
  let startingAfter: string | undefined;
  for (;;) {
    const page = await list(startingAfter);
    if (page.items.length > 0) await take(page.items);
    if (!page.hasMore || !page.lastId) return;
    startingAfter = page.lastId;
  }
}

/**
 * Pulls the PSP's settlements now, incrementally and safely rerun (the same data again stores,
 * posts and raises nothing new):
 * 1. its payouts created since the payouts cursor (less the overlap), and those we hold that are
 *    not final yet (read again): each stored or moved forward, a paid one posted once — the same
 *    entry the payout.paid webhook posts, so never twice (payouts/payout-repository.ts `record`);
 * 2. its balance transactions created since their cursor (less the overlap), page by page, each
 *    stored as a settlement line once (settlement-store.ts);
 * 3. for each payout of step 1, the transactions it paid out: their lines learn their payout;
 * 4. every pending line matched (settlement-matching.ts), and the payments paid out settled
 *    (`payout_id`, `settled_date`);
 * 5. the cursors moved to the newest `created` seen, only once all of it is done.
 * One pull runs at a time (a lease); another asked meanwhile answers `running`.
 */
export async function pullSettlements({ knex, psp, rules, overlapMinutes, lookbackDays, now, payouts = payoutRepository(knex), unlessStartedSince }: PullOptions): Promise<SettlementCounts | 'running'> {
  const started = now();
  if (!(await takeLease(knex, 'pull', started, new Date(started.getTime() + LEASE_MS), unlessStartedSince))) return 'running';
  try {
    const counts = newCounts();
    const since = async (name: string) => {
      const cursor = await cursorOf(knex, name);
      return cursor ? new Date(cursor.getTime() - overlapMinutes * 60_000) : new Date(started.getTime() - lookbackDays * 86_400_000);
    };

    // 1. Payouts.
    const seen = new Map<string, PayoutSnapshot>();
    let newestPayout: Date | undefined;
    const payoutsSince = await since('payouts');
    await eachPage(
      (startingAfter) => psp.listPayouts({ createdGte: payoutsSince, ...(startingAfter ? { startingAfter } : {}) }),
      async (items) => {
        for (const p of items) seen.set(p.payoutId, p);
      },
    );
    const unfinished = await knex('payouts').whereIn('status', ['pending', 'in_transit']).whereNotIn('id', [...seen.keys()]).pluck('id');
    for (const id of unfinished as string[]) seen.set(id, await psp.retrievePayout(id));
    for (const snapshot of seen.values()) {
      const { posted } = await knex.transaction((trx) => payouts.record(trx, snapshot, now()));
      if (posted.includes('payout')) counts.payouts.posted += 1;
      if (!newestPayout || snapshot.created > newestPayout) newestPayout = snapshot.created;
    }
    counts.payouts.seen = seen.size;

    // 2. Balance transactions.
    let newestLine: Date | undefined;
    const linked: string[] = [];
    const linesSince = await since('balance_transactions');
    await eachPage(
      (startingAfter) => psp.listBalanceTransactions({ createdGte: linesSince, ...(startingAfter ? { startingAfter } : {}) }),
      async (items) => {
        const stored = await knex.transaction((trx) => storeLines(trx, items.map((txn) => ({ line: lineOfBalanceTransaction(txn) })), 'pull', counts));
        linked.push(...stored.linked);
        for (const txn of items) if (!newestLine || txn.created > newestLine) newestLine = txn.created;
      },
    );

    // 3. What each payout paid out.
    for (const payout of seen.values()) {
      if (payout.status === 'failed' || payout.status === 'canceled') continue;
      await eachPage(
        (startingAfter) => psp.listBalanceTransactions({ payoutId: payout.payoutId, ...(startingAfter ? { startingAfter } : {}) }),
          async (items) => {
          const paidOut = items.map((txn) => ({ line: lineOfBalanceTransaction(txn, { id: payout.payoutId, arrivalDate: payout.arrivalDate }) }));
          const stored = await knex.transaction((trx) => storeLines(trx, paidOut, 'pull', counts));
          linked.push(...stored.linked);
        },
      );
    }

    // 4. Matching, and the payments paid out.
    // (Linked lines first: a pending one is counted when it is matched, not twice.)
    await countSettledBy(knex, linked, counts);
    await matchPendingLines(knex, rules, counts);

    // 5. The cursors, once everything up to them is in.
    if (newestPayout) await advanceCursor(knex, 'payouts', newestPayout);
    if (newestLine) await advanceCursor(knex, 'balance_transactions', newestLine);
    return counts;
  } finally {
    await releaseLease(knex, 'pull', now());
  }
}
