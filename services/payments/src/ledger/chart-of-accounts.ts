/**
 * The chart of accounts: what each ledger account means, in words a finance officer uses.
 *
 * Every account is kept per currency (an ILS account never holds dollars), and some per ministry
 * too. An account's `code` names it across currencies ("psp_receivable" in ILS and in JOD are two
 * accounts); a ministry's accounts carry its organisation id in the code. Accounts are created the
 * first time something is posted to them.
 *
 * Amounts are signed minor units: a debit is positive, a credit negative; every journal entry's
 * postings sum to zero per currency, so the whole ledger always does too.
 *
 * | code                        | kind      | per           | means                                                                  |
 * |-----------------------------|-----------|---------------|------------------------------------------------------------------------|
 * | `psp_receivable`            | asset     | currency      | Due from the card processor (PSP): card payments it has taken for us   |
 * |                             |           |               | and not yet paid out. Debited when a payment succeeds; credited by its |
 * |                             |           |               | fees, refunds, dispute withdrawals and each payout.                    |
 * | `ministry_revenue:<org id>` | liability | currency, org | Fees collected for a ministry, owed to it (to the treasury on its      |
 * |                             |           |               | behalf). Credited when one of its payments succeeds.                   |
 * | `disputes`                  | asset     | currency      | Disputed amounts: taken back by the PSP for a chargeback, pending the  |
 * |                             |           |               | bank's decision. Debited when a dispute's funds are withdrawn; credited |
 * |                             |           |               | when it is decided (won: back to psp_receivable; lost: see below).     |
 * | `psp_fees`                  | expense   | currency      | What the PSP charges us: its processing fee on each card payment (kept |
 * |                             |           |               | by it when the payment is refunded) and the dispute fee (kept even     |
 * |                             |           |               | when the dispute is won). The platform's expense, not the ministry's.  |
 * | `treasury_bank`             | asset     | currency      | The treasury's bank account at the central bank, one per currency:    |
 * |                             |           |               | what the PSP has paid out to it. Debited by each payout.               |
 *
 * Card fees (ledger/payment-postings.ts `postPspFee`, source 'psp_fee', the charge's balance
 * transaction id, posted once): debit `psp_fees`, credit `psp_receivable` — the PSP keeps its fee
 * out of what it owes us. Posted in the transaction that moves the payment to succeeded, when the
 * PSP's answer carries the charge's balance transaction (the Stripe adapter expands it).
 *
 * Disputes (disputes/dispute-postings.ts), one entry per movement, each posted once:
 * - funds withdrawn (a chargeback opened): debit `disputes`, credit `psp_receivable` (the amount);
 *   debit `psp_fees`, credit `psp_receivable` (the dispute fee). The ministry's revenue is not
 *   touched while the bank decides: the amount is held in `disputes`.
 * - won: debit `psp_receivable`, credit `disputes` (the amount is reinstated; the fee is not).
 * - lost: debit the ministry's `ministry_revenue`, credit `disputes`: the cardholder got the money
 *   back, so the ministry is owed that much less (the loss is the ministry's, as a refund would be;
 *   the fee stays the platform's expense).
 * An inquiry (no funds withdrawn) posts nothing.
 *
 * Refunds need no account of their own: a succeeded refund reverses its payment's entry for the
 * refunded amount (ledger/payment-postings.ts `postRefundSucceeded`, source 'refund', posted once):
 * debit the ministry's `ministry_revenue` (it is owed that much less), credit `psp_receivable` (the
 * PSP gives the money back to the citizen's card out of what it owes us). A ministry's revenue is
 * then what it collected net of refunds; the refunds are the entries of source type `refund`.
 *
 * Payouts (ledger/payout-postings.ts, from the PSP's payout events): a payout paid into the
 * treasury's bank account debits `treasury_bank` and credits `psp_receivable` (source 'payout', the
 * PSP's payout id, once). Stripe may fail a payout it reported paid (the bank returned it, within
 * days); the money is then back in the PSP's balance, so a failed payout whose payment was posted
 * is reversed by one entry (source 'payout_failure', the payout id: debit `psp_receivable`, credit
 * `treasury_bank`); one that failed before it was reported paid posts nothing. `psp_receivable`
 * is then exactly what the PSP holds for us and has not paid out (pending or available).
 *
 * Reconciliation's write-offs (reconciliation/exception-resolution.ts), each approved by a second
 * finance officer and posted once (source 'exception_write_off', the exception's id):
 * | `reconciliation_differences` | expense   | currency | What finance staff wrote off: a settled amount that differs from ours, a  |
 * |                              |           |          | settlement that never came, a payout the bank never showed.               |
 * | `unidentified_receipts`      | liability | currency | Money received that no record of ours explains (a charge we do not know,  |
 * |                              |           |          | a bank credit no payout explains): held in suspense until identified.     |
 */

export type AccountKind = 'asset' | 'liability' | 'equity' | 'revenue' | 'expense';

/** An account as the chart defines it, before it exists in a currency. */
export interface AccountDefinition {
  code: string;
  name: string;
  kind: AccountKind;
  /** The ministry the account belongs to; null for the platform's shared accounts. */
  organisationId: string | null;
}

export const PSP_RECEIVABLE = 'psp_receivable';
export const MINISTRY_REVENUE = 'ministry_revenue';

/** Due from the card processor: card payments it has taken for us and not yet paid out. */
export const pspReceivable = (): AccountDefinition => ({
  code: PSP_RECEIVABLE,
  name: 'Due from the card processor (PSP)',
  kind: 'asset',
  organisationId: null,
});

/** Fees collected for a ministry, owed to it (to the treasury on its behalf). */
export const ministryRevenue = (organisationId: string): AccountDefinition => ({
  code: `${MINISTRY_REVENUE}:${organisationId}`,
  name: `Fees collected for ${organisationId}, owed to it`,
  kind: 'liability',
  organisationId,
});

export const DISPUTES = 'disputes';
export const PSP_FEES = 'psp_fees';

/** Disputed amounts: taken back by the PSP for a chargeback, pending the bank's decision. */
export const disputedFunds = (): AccountDefinition => ({
  code: DISPUTES,
  name: 'Disputed amounts withdrawn by the card processor, pending decision',
  kind: 'asset',
  organisationId: null,
});

/** What the PSP charges us: processing fees on card payments and dispute fees. */
export const pspFees = (): AccountDefinition => ({
  code: PSP_FEES,
  name: 'Fees charged by the card processor (PSP)',
  kind: 'expense',
  organisationId: null,
});

export const TREASURY_BANK = 'treasury_bank';

/** The treasury's bank account at the central bank (per currency): where the PSP pays out. */
export const treasuryBank = (): AccountDefinition => ({
  code: TREASURY_BANK,
  name: "The treasury's account at the central bank",
  kind: 'asset',
  organisationId: null,
});

export const RECONCILIATION_DIFFERENCES = 'reconciliation_differences';
export const UNIDENTIFIED_RECEIPTS = 'unidentified_receipts';

/** What finance staff wrote off when a settlement or a bank statement did not agree with our records. */
export const reconciliationDifferences = (): AccountDefinition => ({
  code: RECONCILIATION_DIFFERENCES,
  name: 'Reconciliation differences written off',
  kind: 'expense',
  organisationId: null,
});

/** Money received that no record of ours explains, held in suspense until it is identified. */
export const unidentifiedReceipts = (): AccountDefinition => ({
  code: UNIDENTIFIED_RECEIPTS,
  name: 'Unidentified receipts (suspense)',
  kind: 'liability',
  organisationId: null,
});
