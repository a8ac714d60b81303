import type { Knex } from '@tamkeen/db';
import type { Currency } from '../domain/money.js';
import type { PspDisputeStatus } from '../psp/payment-provider.js';
import { dailyReceipts } from '../reconciliation/daily-receipts.js';

/**
 * What the finance console reads, straight from payments' own tables (the console is part of the
 * payments service: no API call to itself). Every query is the platform's view: all ministries.
 */

/** One ministry's movements of its revenue account on a day, in one currency (minor units). */
export interface MinistryDay {
  organisationId: string;
  currency: Currency;
  /** Payments that succeeded: the credits of payments to `ministry_revenue:<org>`. */
  paid: number;
  /** Refunds: debits of refunds to it. */
  refunds: number;
  /** Disputes lost: debits of lost disputes to it. */
  disputesLost: number;
  /** paid − refunds − disputes lost: how much more the ministry is owed from the day's movements. */
  net: number;
}

/**
 * The day's receipts by ministry and currency, from the ledger (daily-receipts.ts, the same
 * figures as the daily receipts report): the day's postings to each ministry's revenue account —
 * what its succeeded payments credited, what refunds and lost disputes debited. PSP fees and
 * disputes still being decided do not touch a ministry's revenue, so they are not here.
 */
export async function receiptsOfDay(knex: Knex, day: string): Promise<MinistryDay[]> {
  const report = await dailyReceipts(knex, day);
  return report.ministries
    .filter((m) => m.gross !== 0 || m.refunds !== 0 || m.disputesLost !== 0)
    .map((m) => ({ organisationId: m.organisationId, currency: m.currency, paid: m.gross, refunds: m.refunds, disputesLost: m.disputesLost, net: m.gross - m.refunds - m.disputesLost }));
}

/** Unresolved exceptions of one kind: how many, how many await a second officer, and the oldest. */
export interface OpenKind {
  kind: string;
  count: number;
  awaitingApproval: number;
  oldestRaisedAt: Date;
}

export async function openExceptionsByKind(knex: Knex): Promise<OpenKind[]> {
  const rows = await knex('reconciliation_exceptions')
    .whereNot('status', 'resolved')
    .groupBy('kind')
    .orderBy('oldest')
    .select<Array<{ kind: string; count: string; awaiting: string; oldest: Date }>>('kind', knex.raw('count(*) as count'), knex.raw(`count(*) filter (where status = 'awaiting_approval') as awaiting`), knex.raw('min(raised_at) as oldest'));
  return rows.map((r) => ({ kind: r.kind, count: Number(r.count), awaitingApproval: Number(r.awaiting), oldestRaisedAt: r.oldest }));
}

/** Statuses a filter may name; `unresolved` (the default) is every status but resolved. */
export const STATUS_FILTERS = ['unresolved', 'open', 'assigned', 'awaiting_approval', 'resolved', 'all'] as const;
export type StatusFilter = (typeof STATUS_FILTERS)[number];

/** Every kind there is an exception of (the filter offers them beside the known ones). */
export async function kindsSeen(knex: Knex): Promise<string[]> {
  return (await knex('reconciliation_exceptions').distinct('kind').orderBy('kind')).map((r: { kind: string }) => r.kind);
}

/** Statuses of a dispute that still wants evidence from the ministry. */
const NEEDS_RESPONSE: readonly PspDisputeStatus[] = ['needs_response', 'warning_needs_response'];

export interface DisputeDue {
  id: string;
  organisationId: string;
  paymentId: string;
  pspDisputeId: string;
  amount: number;
  currency: Currency;
  reason: string;
  status: PspDisputeStatus;
  evidenceDueBy: Date;
  createdAt: Date;
  paymentReference: string | null;
}

const disputeColumns = ['d.id', 'd.organisation_id', 'd.payment_id', 'd.psp_dispute_id', 'd.amount', 'd.currency', 'd.reason', 'd.status', 'd.evidence_due_by', 'd.created_at', 'p.reference'];
const toDispute = (r: Record<string, unknown>): DisputeDue => ({
  id: r.id as string,
  organisationId: r.organisation_id as string,
  paymentId: r.payment_id as string,
  pspDisputeId: r.psp_dispute_id as string,
  amount: Number(r.amount),
  currency: r.currency as Currency,
  reason: r.reason as string,
  status: r.status as PspDisputeStatus,
  evidenceDueBy: r.evidence_due_by as Date,
  createdAt: r.created_at as Date,
  paymentReference: (r.reference as string | null) ?? null,
});

/** Disputes still needing the ministry's evidence whose deadline is within `days` of `now` (or already past), soonest first. */
export async function disputesDueSoon(knex: Knex, now: Date, days: number): Promise<DisputeDue[]> {
  const rows = await knex('disputes as d')
    .leftJoin('payments as p', 'p.id', 'd.payment_id')
    .whereIn('d.status', NEEDS_RESPONSE)
    .whereNotNull('d.evidence_due_by')
    .where('d.evidence_due_by', '<=', new Date(now.getTime() + days * 86_400_000))
    .orderBy([{ column: 'd.evidence_due_by' }, { column: 'd.id' }])
    .limit(100)
    .select(disputeColumns);
  return rows.map(toDispute);
}

export interface DisputeWithHistory {
  dispute: Omit<DisputeDue, 'evidenceDueBy'> & { evidenceDueBy: Date | null };
  history: Array<{ fromStatus: string | null; toStatus: string; source: string; at: Date }>;
}

/** One dispute of any ministry, with its history; undefined when there is none. */
export async function disputeOf(knex: Knex, id: string): Promise<DisputeWithHistory | undefined> {
  const row = await knex('disputes as d').leftJoin('payments as p', 'p.id', 'd.payment_id').where('d.id', id).first(disputeColumns);
  if (!row) return undefined;
  const history = await knex('dispute_events').where({ dispute_id: id }).orderBy('id').select<Array<{ from_status: string | null; to_status: string; source: string; at: Date }>>('from_status', 'to_status', 'source', 'at');
  return { dispute: toDispute(row as Record<string, unknown>), history: history.map((h) => ({ fromStatus: h.from_status, toStatus: h.to_status, source: h.source, at: h.at })) };
}
