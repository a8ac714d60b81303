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
 * |                             |           |               | and not yet paid out. Debited when a payment succeeds.                 |
 * | `ministry_revenue:<org id>` | liability | currency, org | Fees collected for a ministry, owed to it (to the treasury on its      |
 * |                             |           |               | behalf). Credited when one of its payments succeeds.                   |
 *
 * Coming with refunds, disputes and payouts (issue 5): the PSP's fees (expense), refunds and
 * disputes, and the treasury's bank account.
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
