import { randomInt } from 'node:crypto';
import { CURRENCIES } from './currencies.js';
import { invalidRequest, resourceMissing } from './errors.js';
import { payoutObject } from './resources.js';
import { type BalanceTransactionRecord, type BankAccountRecord, type PayoutRecord, type StripeState, stripeId } from './state.js';

const DAY = 86_400;

/** 00:00 UTC of the day `at` (Unix seconds) falls on. */
export const dayStart = (at: number): number => Math.floor(at / DAY) * DAY;

/**
 * The daily payout time, `HH:MM` in UTC, as seconds after midnight. Stripe pays out on a schedule
 * (daily, weekly...) at a time of its own; the sandbox's is configured (STRIPE_PAYOUT_TIME).
 */
export function payoutTimeOfDay(text: string): number {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (!match) throw new Error(`a payout time is HH:MM (UTC), not ${text}`);
  return Number(match[1]) * 3_600 + Number(match[2]) * 60;
}

/** The first daily payout time strictly after `now` (Unix seconds). */
export function nextPayoutAt(now: number, timeOfDay: number): number {
  const today = dayStart(now) + timeOfDay;
  return today > now ? today : today + DAY;
}

export function payoutOf(state: StripeState, id: string): PayoutRecord {
  const payout = state.payouts.get(id);
  if (!payout) throw resourceMissing('payout', id, 'payout');
  return payout;
}

/** The account's bank account in a currency (the treasury's, at the central bank), made on first use. */
export function bankAccountFor(state: StripeState, currency: string): BankAccountRecord {
  let account = state.bankAccounts.get(currency);
  if (!account) {
    account = { id: stripeId('ba'), currency, bankName: 'SANDBOX CENTRAL BANK', last4: String(randomInt(10_000)).padStart(4, '0'), country: 'PS' };
    state.bankAccounts.set(currency, account);
  }
  return account;
}

/** A bank's transfer reference: `SBX` and 12 capital letters or digits. */
function traceReference(): string {
  const alphabet = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ';
  let text = 'SBX';
  for (let i = 0; i < 12; i++) text += alphabet[randomInt(alphabet.length)];
  return text;
}

/**
 * The day's automatic payouts, as of `now`: in each currency, every balance transaction that is
 * available (`available_on` ≤ now) and not yet paid out — charges net of their fees, refunds,
 * dispute withdrawals with their fees, reinstatements — becomes one payout of their net sum, with
 * its own balance transaction (type `payout`, −amount); each is paid out once. A currency whose
 * sum is zero or negative is not paid out: its transactions wait for a later payout (Stripe, too,
 * pays out only a positive available balance). The sandbox's bank takes a payout the day it is
 * made: `arrival_date` is that day (00:00 UTC), and `payout.created` (in_transit) is followed at
 * once by `payout.paid`. Returns the payouts made, in currency order.
 */
export function runPayouts(state: StripeState, now: number): PayoutRecord[] {
  const due = new Map<string, BalanceTransactionRecord[]>();
  for (const txn of state.balanceTransactions.values()) {
    if (txn.payoutId !== null || txn.type === 'payout' || txn.availableOn > now) continue;
    const list = due.get(txn.currency) ?? [];
    list.push(txn);
    due.set(txn.currency, list);
  }
  const made: PayoutRecord[] = [];
  for (const currency of [...due.keys()].sort()) {
    const txns = due.get(currency) ?? [];
    const amount = txns.reduce((sum, t) => sum + t.net, 0);
    if (amount <= 0) continue;
    const payoutId = stripeId('po');
    const txn: BalanceTransactionRecord = {
      id: stripeId('txn'),
      seq: state.nextSeq(),
      created: now,
      amount: -amount,
      currency,
      fee: 0,
      feeDetails: [],
      net: -amount,
      availableOn: now,
      sourceId: payoutId,
      type: 'payout',
      reportingCategory: 'payout',
      description: 'STRIPE PAYOUT',
      payoutId,
    };
    const trace = traceReference();
    const payout: PayoutRecord = {
      id: payoutId,
      seq: state.nextSeq(),
      created: now,
      amount,
      currency,
      arrivalDate: dayStart(now),
      status: 'in_transit',
      balanceTransactionId: txn.id,
      destination: bankAccountFor(state, currency).id,
      // At most 22 characters, as Stripe's: what the treasury's bank statement shows.
      statementDescriptor: `PSP ${trace}`,
      traceId: trace,
      metadata: {},
    };
    for (const paid of txns) paid.payoutId = payoutId;
    state.balanceTransactions.set(txn.id, txn);
    state.payouts.set(payout.id, payout);
    state.recordEvent('payout.created', payoutObject(payout), now);
    payout.status = 'paid';
    state.recordEvent('payout.paid', payoutObject(payout), now);
    made.push(payout);
  }
  return made;
}

/** The account's balance (`GET /v1/balance`): per currency, what is available now and what is still pending. */
export function balanceObject(state: StripeState, now: number): Record<string, unknown> {
  const available = new Map<string, number>();
  const pending = new Map<string, number>();
  for (const code of Object.keys(CURRENCIES)) {
    available.set(code, 0);
    pending.set(code, 0);
  }
  for (const txn of state.balanceTransactions.values()) {
    const side = txn.availableOn <= now ? available : pending;
    side.set(txn.currency, (side.get(txn.currency) ?? 0) + txn.net);
  }
  const funds = (side: Map<string, number>) => [...side.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([currency, amount]) => ({ amount, currency, source_types: { card: amount } }));
  return { object: 'balance', available: funds(available), livemode: false, pending: funds(pending) };
}

/** `as_of` of the test helper: Unix seconds, not before the sandbox's clock. */
export function asOfParam(value: number | undefined, now: number): number {
  if (value === undefined) return now;
  if (value < now) throw invalidRequest(`as_of (${value}) is before the sandbox's clock (${now}): its time only moves forward.`, { param: 'as_of' });
  return value;
}
