import type { Knex } from '@tamkeen/db';
import { disputedFunds, ministryRevenue, pspFees, pspReceivable } from '../ledger/chart-of-accounts.js';
import { ledgerDay, postJournalEntry, type PostingInput } from '../ledger/ledger.js';
import type { Dispute } from './dispute-repository.js';

/**
 * A dispute's journal entries (see chart-of-accounts.ts), each posted at most once per dispute and
 * movement (sources `dispute_withdrawal`, `dispute_won`, `dispute_lost`, the dispute's id), so the
 * PSP's events may arrive in any order, twice, or be overtaken by the evidence call's answer: the
 * ledger ends the same.
 */
export async function postDisputeMovements(trx: Knex.Transaction, dispute: Dispute, fee: number, at: Date): Promise<void> {
  if (dispute.status.startsWith('warning_')) return; // An inquiry: no funds move.
  const { amount, currency } = dispute;
  const effectiveDate = ledgerDay(at);
  const withdrawal: PostingInput[] = [
    { account: disputedFunds(), amount, currency },
    { account: pspReceivable(), amount: -amount, currency },
  ];
  if (fee > 0) withdrawal.push({ account: pspFees(), amount: fee, currency }, { account: pspReceivable(), amount: -fee, currency });
  await postJournalEntry(trx, { sourceType: 'dispute_withdrawal', sourceId: dispute.id, description: `Dispute ${dispute.pspDisputeId} opened on payment ${dispute.paymentId}: amount and dispute fee withdrawn`, effectiveDate, postings: withdrawal });
  if (dispute.status === 'won') {
    await postJournalEntry(trx, {
      sourceType: 'dispute_won',
      sourceId: dispute.id,
      description: `Dispute ${dispute.pspDisputeId} won: the amount reinstated`,
      effectiveDate,
      postings: [
        { account: pspReceivable(), amount, currency },
        { account: disputedFunds(), amount: -amount, currency },
      ],
    });
  } else if (dispute.status === 'lost') {
    await postJournalEntry(trx, {
      sourceType: 'dispute_lost',
      sourceId: dispute.id,
      description: `Dispute ${dispute.pspDisputeId} lost: the amount returned to the cardholder, charged to the ministry`,
      effectiveDate,
      postings: [
        { account: ministryRevenue(dispute.organisationId), amount, currency },
        { account: disputedFunds(), amount: -amount, currency },
      ],
    });
  }
}
