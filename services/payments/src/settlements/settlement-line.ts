import { hash } from 'node:crypto';
import type { BalanceTransactionSnapshot } from '../psp/payment-provider.js';

/**
 * One settlement line: a movement of the PSP's balance (its balance transaction, `txn_…`), as
 * its API or its payout reconciliation report says it. Amounts in minor units of `currency`,
 * signed (money out of the balance is negative); `net` = `amount` − `fee`.
 */
export interface SettlementLine extends Omit<BalanceTransactionSnapshot, 'type'> {
  /** The API's `type` (charge, refund, adjustment, payout...); a report does not say it. */
  type: string | null;
  /** That payout's arrival day (YYYY-MM-DD), when the source says it (a report's automatic_payout_effective_at). */
  payoutDate: string | null;
}

export type LineOrigin = 'pull' | 'report';

/** YYYY-MM-DD (UTC) of each day seen: a report's lines share a few. */
const dayNames = new Map<number, string>();
/** An instant's day (YYYY-MM-DD, UTC). */
export const utcDay = (at: Date): string => {
  const number = Math.floor(at.getTime() / 86_400_000);
  let name = dayNames.get(number);
  if (name === undefined) {
    name = at.toISOString().slice(0, 10);
    if (dayNames.size < 10_000) dayNames.set(number, name);
  }
  return name;
};

/**
 * A hash of what both the API and a report always say of a line, and nothing else: its id,
 * category, amounts, currency, creation (to the second) and availability (the day). The same line
 * from either has the same hash; a line seen again with another hash is not the same line. (Ids of
 * what it is for are left out: a report may not carry them; they are filled in when first known.)
 */
export function contentHash(line: SettlementLine): string {
  const fields = [line.id, line.reportingCategory, line.amount, line.fee, line.net, line.currency, Math.floor(line.created.getTime() / 1000), utcDay(line.availableOn)];
  return hash('sha256', JSON.stringify(fields), 'hex');
}

/** A balance transaction from the PSP's API as a settlement line (its payout, if it is not one, comes from listing the payout's). */
export function lineOfBalanceTransaction(txn: BalanceTransactionSnapshot, payout?: { id: string; arrivalDate: string }): SettlementLine {
  return {
    id: txn.id,
    type: txn.type,
    reportingCategory: txn.reportingCategory,
    amount: txn.amount,
    fee: txn.fee,
    net: txn.net,
    currency: txn.currency,
    created: txn.created,
    availableOn: txn.availableOn,
    description: txn.description,
    sourceId: txn.sourceId,
    chargeId: txn.chargeId,
    paymentIntentId: txn.paymentIntentId,
    refundId: txn.refundId,
    disputeId: txn.disputeId,
    payoutId: payout?.id ?? txn.payoutId,
    payoutDate: payout?.arrivalDate ?? null,
  };
}

/** What a run did, as the API answers it. */
export interface SettlementCounts {
  lines: { seen: number; new: number; updated: number; conflicting: number };
  payouts: { seen: number; posted: number };
  matching: { matched: number; mismatched: number; unmatched: number; pending: number };
  fees_posted: number;
  payments_settled: number;
  exceptions_raised: number;
}

export const newCounts = (): SettlementCounts => ({
  lines: { seen: 0, new: 0, updated: 0, conflicting: 0 },
  payouts: { seen: 0, posted: 0 },
  matching: { matched: 0, mismatched: 0, unmatched: 0, pending: 0 },
  fees_posted: 0,
  payments_settled: 0,
  exceptions_raised: 0,
});

/** How reconciliation matches and checks (config.ts, SETTLEMENT_*). */
export interface SettlementRules {
  /** A line matched by amount, currency and date (no PSP id of ours) must be this close to our record's time. */
  matchWindowHours: number;
  /** A succeeded payment not settled (no line in a payout) this many days after it succeeded is a missing_settlement. */
  missingAfterDays: number;
}
