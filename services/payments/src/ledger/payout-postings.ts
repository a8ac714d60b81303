import type { Knex } from '@tamkeen/db';
import type { Currency } from '../domain/money.js';
import { pspReceivable, treasuryBank } from './chart-of-accounts.js';
import { ledgerDay, postJournalEntry, type Posted } from './ledger.js';

/** What a payout's postings need to know of it (payouts/payout-repository.ts). */
export interface PayoutForLedger {
  /** The PSP's payout id (`po_…`): the entries' source id. */
  id: string;
  /** What reached the treasury's bank account, in minor units of `currency`: more than zero. */
  amount: number;
  currency: Currency;
  /** The day the bank credits it (YYYY-MM-DD): the payout entry's day, as the bank statement's. */
  arrivalDate: string;
}

/**
 * A payout paid into the treasury's bank account: the PSP owes us that much less (credit
 * psp_receivable), the bank holds it (debit treasury_bank). Posted at most once per payout
 * (source 'payout', its id).
 */
export function postPayout(trx: Knex.Transaction, payout: PayoutForLedger): Promise<Posted> {
  return postJournalEntry(trx, {
    sourceType: 'payout',
    sourceId: payout.id,
    description: `Payout ${payout.id} from the card processor into the treasury's bank account`,
    effectiveDate: payout.arrivalDate,
    postings: [
      { account: treasuryBank(), amount: payout.amount, currency: payout.currency },
      { account: pspReceivable(), amount: -payout.amount, currency: payout.currency },
    ],
  });
}

/**
 * A payout that failed after it was posted as paid (the bank returned it): the money is back in
 * the PSP's balance, so the payout's entry is reversed (debit psp_receivable, credit
 * treasury_bank), on the day it failed (`at`). Posted at most once per payout (source
 * 'payout_failure', its id); call it only for a payout whose `postPayout` entry exists.
 */
export function postPayoutFailure(trx: Knex.Transaction, payout: PayoutForLedger, at: Date): Promise<Posted> {
  return postJournalEntry(trx, {
    sourceType: 'payout_failure',
    sourceId: payout.id,
    description: `Payout ${payout.id} failed: returned to the card processor's balance`,
    effectiveDate: ledgerDay(at),
    postings: [
      { account: pspReceivable(), amount: payout.amount, currency: payout.currency },
      { account: treasuryBank(), amount: -payout.amount, currency: payout.currency },
    ],
  });
}
