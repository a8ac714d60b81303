import type { Knex } from '@tamkeen/db';
import type { Currency } from '../domain/money.js';
import { raiseException } from '../reconciliation/exceptions.js';
import type { SettlementRules } from './settlement-line.js';

export interface MissingCheck {
  as_of: string;
  /** Succeeded payments due to be settled by `as_of` that were not. */
  found: number;
  /** Of those, the ones raised now (the others were raised by an earlier check). */
  raised: number;
}

/**
 * The missing-settlement check, as of an instant: every payment that succeeded at least
 * `missingAfterDays` days before `asOf` and is not settled — no settlement line of it in a payout
 * (no row in the view payment_settlements): either the PSP never reported its charge, or never paid it out — is a
 * `missing_settlement` exception, once per payment (dedupe key `missing_settlement:<payment id>`),
 * so running the check again raises nothing new. The details say whether a line was seen.
 */
export async function checkMissingSettlements(knex: Knex, rules: SettlementRules, asOf: Date): Promise<MissingCheck> {
  const dueBy = new Date(asOf.getTime() - rules.missingAfterDays * 86_400_000);
  const rows = (await knex('payments as p')
    .join('payment_events as e', function () {
      this.on('e.payment_id', 'p.id').andOnVal('e.event', 'succeed');
    })
    .where('p.status', 'succeeded')
    .whereNotExists((q) => q.select(knex.raw('1')).from('payment_settlements as s').whereRaw('s.payment_id = p.id'))
    .andWhere('e.at', '<=', dueBy)
    .select('p.id', 'p.organisation_id', 'p.amount', 'p.currency', 'p.reference', 'p.psp_payment_intent_id', 'e.at as succeeded_at', knex.raw(`(select l.id from settlement_lines l where l.payment_id = p.id and l.reporting_category = 'charge' limit 1) as line_id`))) as Array<{
    id: string;
    organisation_id: string;
    amount: string;
    currency: Currency;
    reference: string;
    psp_payment_intent_id: string | null;
    succeeded_at: Date;
    line_id: string | null;
  }>;
  let raised = 0;
  for (const p of rows) {
    const result = await raiseException(knex, {
      kind: 'missing_settlement',
      dedupeKey: `missing_settlement:${p.id}`,
      paymentId: p.id,
      organisationId: p.organisation_id,
      currency: p.currency,
      expectedAmount: Number(p.amount),
      balanceTransactionId: p.line_id,
      details: {
        rule: `not settled ${rules.missingAfterDays} days after it succeeded`,
        as_of: asOf.toISOString(),
        succeeded_at: p.succeeded_at.toISOString(),
        reference: p.reference,
        payment_intent_id: p.psp_payment_intent_id,
        seen: p.line_id ? 'the PSP reported its charge but has not paid it out' : 'the PSP has reported no charge for it',
      },
    });
    if (result.raised) raised += 1;
  }
  return { as_of: asOf.toISOString(), found: rows.length, raised };
}
