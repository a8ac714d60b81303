import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { schemaViolations } from '@tamkeen/testing';
import request from 'supertest';
import { postPayout } from '../ledger/payout-postings.js';
import { PLATFORM_ORGANISATION_ID } from '../ledger/ledger-routes.js';
import { testPayments, type TestPayments } from '../test-payments.js';
import { parseMt940 } from './mt940-parser.js';
import { findSubset } from './payout-matching.js';
import { DEFAULT_MATCHING_RULES } from './statement-config.js';
import { importStatements } from './statement-import.js';
import { STATEMENTS_PATH } from './statement-routes.js';
import { camt053, mt940, type GeneratedEntry, type GeneratedStatement } from './test-statements.js';
import { sourceOf } from './text-stream.js';

const ILS = 'PS92PALS000000000400123456701';
const USD = 'PS44PALS000000000400123456702';
const ACCOUNTS = [
  { account: ILS, currency: 'ILS', name: 'Treasury ILS' },
  { account: USD, currency: 'USD', name: 'Treasury USD' },
];

let service: TestPayments;
let write: string;

beforeAll(async () => {
  service = await testPayments('bank statement matching', { env: { TREASURY_ACCOUNTS: JSON.stringify(ACCOUNTS) } });
  write = await service.bearer('reconciliation:write', PLATFORM_ORGANISATION_ID);
});
afterAll(() => service.close());

const knex = () => service.stores.knex;

interface PayoutSeed {
  id: string;
  amount: number;
  arrival: string;
  currency?: 'ILS' | 'USD';
  trace?: string;
  status?: 'paid' | 'in_transit' | 'failed';
  /** Post its ledger entry, as the payout.paid webhook does. */
  posted?: boolean;
}

async function payout({ id, amount, arrival, currency = 'ILS', trace, status = 'paid', posted = false }: PayoutSeed): Promise<void> {
  await knex().transaction(async (trx) => {
    await trx('payouts').insert({ id, amount, currency, status, arrival_date: arrival, created: new Date(`${arrival}T04:00:00Z`), automatic: true, trace_id: trace ?? null, statement_descriptor: trace ? `PSP ${trace}` : null });
    if (posted) await postPayout(trx, { id, amount, currency, arrivalDate: arrival });
  });
}

let n = 0;
function statement(from: string, to: string, entries: GeneratedEntry[], currency: 'ILS' | 'USD' = 'ILS'): GeneratedStatement {
  n++;
  return { account: currency === 'ILS' ? ILS : USD, currency, id: `M-${n}`, sequence: String(n), openingDate: from, closingDate: to, opening: 0, entries };
}

const count = async (table: string) => Number((await knex()(table).count<Array<{ n: string }>>('* as n'))[0]!.n);

interface Outcome {
  statements: Array<{ id: string }>;
  matching: {
    matches: Array<{ rule: string; shape: string; payout_ids: string[]; entry_ids: string[]; payout_total: number; credit_total: number }>;
    exceptions: Array<{ kind: string; dedupe_key: string; payout_id: string | null; bank_entry_id: string | null; raised: boolean }>;
  };
}

/** Imports the statement (camt.053, or MT940), checks the answer against the spec and that the ledger got nothing; answers the outcome and the credits' entry ids in file order. */
async function importing(s: GeneratedStatement, format: 'camt' | 'mt940' = 'camt'): Promise<Outcome & { credits: string[] }> {
  const entriesBefore = await count('journal_entries');
  const res = await request(service.app)
    .post(STATEMENTS_PATH)
    .set('Authorization', write)
    .set('Content-Type', format === 'camt' ? 'application/xml' : 'text/plain')
    .send(format === 'camt' ? camt053([s]) : mt940([s]));
  expect(res.status).toBe(201);
  expect(schemaViolations('payments.yaml', '#/components/schemas/BankStatementImport', res.body)).toEqual([]);
  // A bank credit confirms a payout already in the ledger: matching posts nothing.
  expect(await count('journal_entries')).toBe(entriesBefore);
  const credits = await knex()('bank_statement_entries').where({ statement_id: res.body.statements[0].id, direction: 'credit' }).orderBy('position').pluck('id');
  return { ...(res.body as Outcome), credits: credits.map(String) };
}

const exceptionsOf = (o: Outcome) => o.matching.exceptions.map((e) => [e.kind, e.dedupe_key]).sort();

describe('matching bank credits to payouts', () => {
  it('one to one by reference: the credit names the payout (its trace id, across a line break of :86:)', async () => {
    await payout({ id: 'po_ref_1', amount: 15_000, arrival: '2025-03-03', trace: 'TRC1A2B3C4D5E6F7G8H9', posted: true });
    const text = `STRIPE TRANSFER ${'X'.repeat(40)} PSP TRC1A2B3C4D5E6F7G8H9`; // the trace id starts at column 62: the :86: line breaks inside it
    const o = await importing(statement('2025-03-04', '2025-03-04', [{ amount: 15_000, direction: 'credit', valueDate: '2025-03-04', text }, { amount: 300, direction: 'debit', valueDate: '2025-03-04' }]), 'mt940');
    expect(o.matching.matches).toEqual([expect.objectContaining({ rule: 'reference', shape: 'one_to_one', payout_ids: ['po_ref_1'], entry_ids: o.credits, payout_total: 15_000, credit_total: 15_000 })]);
    expect(o.matching.exceptions).toEqual([]);
    const match = await knex()('bank_statement_matches').where({ id: (await knex()('bank_statement_entries').where({ id: o.credits[0] }).first()).match_id }).first();
    const ledgerEntry = await knex()('journal_entries').where({ source_type: 'payout', source_id: 'po_ref_1' }).first();
    expect(match.details.payouts).toEqual([{ id: 'po_ref_1', amount: 15_000, arrival_date: '2025-03-03', status: 'paid', ledger_entry_id: String(ledgerEntry.id) }]);
    expect(await knex()('bank_statement_matched_payouts').where({ payout_id: 'po_ref_1' }).first()).toMatchObject({ match_id: match.id });
  });

  it('one to one without a reference: amount, currency and value date within the window', async () => {
    await payout({ id: 'po_amount_1', amount: 23_456, arrival: '2025-04-07' });
    await payout({ id: 'po_amount_usd', amount: 23_456, arrival: '2025-04-07', currency: 'USD' });
    const o = await importing(statement('2025-04-06', '2025-04-06', [{ amount: 23_456, direction: 'credit', valueDate: '2025-04-06', text: 'Incoming transfer' }]));
    // Valued the day before the arrival (windowDaysBefore 1); the dollar payout of the same amount is another currency.
    expect(o.matching.matches).toEqual([expect.objectContaining({ rule: 'amount_date', shape: 'one_to_one', payout_ids: ['po_amount_1'], entry_ids: o.credits })]);
    expect(o.matching.exceptions).toEqual([]);
  });

  it('one payout split over several credits that name it', async () => {
    await payout({ id: 'po_split_ref', amount: 50_000, arrival: '2025-05-05', trace: 'TRSPLIT0001' });
    const o = await importing(statement('2025-05-05', '2025-05-06', [
      { amount: 30_000, direction: 'credit', valueDate: '2025-05-05', text: 'PSP TRSPLIT0001 1/2' },
      { amount: 20_000, direction: 'credit', valueDate: '2025-05-06', text: 'PSP TRSPLIT0001 2/2' },
    ]));
    expect(o.matching.matches).toEqual([expect.objectContaining({ rule: 'reference_split', shape: 'one_to_many', payout_ids: ['po_split_ref'], payout_total: 50_000, credit_total: 50_000 })]);
    expect([...o.matching.matches[0]!.entry_ids].sort()).toEqual([...o.credits].sort());
    expect(o.matching.exceptions).toEqual([]);
  });

  it('one payout split over several credits without a reference, by their sum', async () => {
    await payout({ id: 'po_split_amount', amount: 70_000, arrival: '2025-06-02' });
    const o = await importing(statement('2025-06-02', '2025-06-03', [
      { amount: 40_000, direction: 'credit', valueDate: '2025-06-02' },
      { amount: 30_000, direction: 'credit', valueDate: '2025-06-03' },
    ]), 'mt940');
    expect(o.matching.matches).toEqual([expect.objectContaining({ rule: 'amount_split', shape: 'one_to_many', payout_ids: ['po_split_amount'], credit_total: 70_000 })]);
    expect([...o.matching.matches[0]!.entry_ids].sort()).toEqual([...o.credits].sort());
    expect(o.matching.exceptions).toEqual([]);
  });

  it('several payouts in one credit that names them', async () => {
    await payout({ id: 'po_batch_a', amount: 10_000, arrival: '2025-07-01', trace: 'TRBATCHAAA1' });
    await payout({ id: 'po_batch_b', amount: 25_000, arrival: '2025-07-02', trace: 'TRBATCHBBB2' });
    const o = await importing(statement('2025-07-02', '2025-07-02', [{ amount: 35_000, direction: 'credit', valueDate: '2025-07-02', text: 'PSP TRBATCHAAA1 PSP TRBATCHBBB2' }]));
    expect(o.matching.matches).toEqual([expect.objectContaining({ rule: 'reference_batch', shape: 'many_to_one', entry_ids: o.credits, payout_total: 35_000 })]);
    expect([...o.matching.matches[0]!.payout_ids].sort()).toEqual(['po_batch_a', 'po_batch_b']);
    expect(o.matching.exceptions).toEqual([]);
  });

  it('several payouts in one credit without a reference, by their sum', async () => {
    await payout({ id: 'po_sum_a', amount: 11_100, arrival: '2025-08-04' });
    await payout({ id: 'po_sum_b', amount: 22_200, arrival: '2025-08-04' });
    const o = await importing(statement('2025-08-05', '2025-08-05', [{ amount: 33_300, direction: 'credit', valueDate: '2025-08-05' }]));
    expect(o.matching.matches).toEqual([expect.objectContaining({ rule: 'amount_batch', shape: 'many_to_one', entry_ids: o.credits, payout_total: 33_300, credit_total: 33_300 })]);
    expect([...o.matching.matches[0]!.payout_ids].sort()).toEqual(['po_sum_a', 'po_sum_b']);
    expect(o.matching.exceptions).toEqual([]);
  });

  it('a credit outside the window matches nothing: an unmatched credit, and the payout unmatched once its window has passed', async () => {
    await payout({ id: 'po_late', amount: 40_400, arrival: '2025-09-01', trace: 'TRLATE0001' });
    // The statement runs from the 4th (the payout's window ends on the 4th) to the 8th; the credit is valued on the 8th.
    const o = await importing(statement('2025-09-04', '2025-09-08', [{ amount: 40_400, direction: 'credit', valueDate: '2025-09-08', text: 'PSP TRLATE0001' }]));
    expect(o.matching.matches).toEqual([]);
    expect(exceptionsOf(o)).toEqual([
      ['unmatched_bank_credit', `unmatched_bank_credit:${o.credits[0]}`],
      ['unmatched_payout', 'unmatched_payout:po_late'],
    ]);
    const credit = await knex()('reconciliation_exceptions').where({ dedupe_key: `unmatched_bank_credit:${o.credits[0]}` }).first();
    expect(credit).toMatchObject({ kind: 'unmatched_bank_credit', bank_entry_id: o.credits[0], amount: '40400', currency: 'ILS', status: 'open' });
    expect(credit.details).toMatchObject({ value_date: '2025-09-08', payouts_named: [], why: expect.stringMatching(/no payout of its amount and currency arrives within the window/) });
    const late = await knex()('reconciliation_exceptions').where({ dedupe_key: 'unmatched_payout:po_late' }).first();
    expect(late).toMatchObject({ kind: 'unmatched_payout', payout_id: 'po_late', expected_amount: '40400' });
    expect(late.details).toMatchObject({ arrival_date: '2025-09-01', window: { from: '2025-08-31', to: '2025-09-04' } });
  });

  it('a credit of the wrong amount that names a payout matches neither it nor another payout of its amount', async () => {
    await payout({ id: 'po_wrong', amount: 55_500, arrival: '2025-10-06', trace: 'TRWRONG555' });
    await payout({ id: 'po_other', amount: 55_000, arrival: '2025-10-06', trace: 'TROTHER999' });
    const o = await importing(statement('2025-10-06', '2025-10-09', [{ amount: 55_000, direction: 'credit', valueDate: '2025-10-06', text: 'PSP TRWRONG555' }]), 'mt940');
    expect(o.matching.matches).toEqual([]);
    expect(exceptionsOf(o)).toEqual([
      ['unmatched_bank_credit', `unmatched_bank_credit:${o.credits[0]}`],
      ['unmatched_payout', 'unmatched_payout:po_other'],
      ['unmatched_payout', 'unmatched_payout:po_wrong'],
    ]);
    const credit = await knex()('reconciliation_exceptions').where({ dedupe_key: `unmatched_bank_credit:${o.credits[0]}` }).first();
    expect(credit).toMatchObject({ payout_id: 'po_wrong', amount: '55000' });
    expect(credit.details).toMatchObject({ payouts_named: ['po_wrong'], why: 'it names payout po_wrong, but the amounts do not agree' });
    const wrong = await knex()('reconciliation_exceptions').where({ dedupe_key: 'unmatched_payout:po_wrong' }).first();
    expect(wrong).toMatchObject({ bank_entry_id: o.credits[0] });
    expect(wrong.details).toMatchObject({ credits_naming_it: [o.credits[0]] });
  });

  it('a payout whose window is still open waits for the next statement; failed payouts are left alone', async () => {
    await payout({ id: 'po_waiting', amount: 77_700, arrival: '2025-11-03' });
    await payout({ id: 'po_failed', amount: 12_300, arrival: '2025-11-03', status: 'failed' });
    const first = await importing(statement('2025-11-03', '2025-11-04', [{ amount: 1, direction: 'debit', valueDate: '2025-11-04' }]));
    expect(first.matching).toMatchObject({ matches: [], exceptions: [] });
    const second = await importing(statement('2025-11-05', '2025-11-06', [{ amount: 77_700, direction: 'credit', valueDate: '2025-11-06' }]));
    expect(second.matching.matches).toEqual([expect.objectContaining({ rule: 'amount_date', payout_ids: ['po_waiting'] })]);
    expect(second.matching.exceptions).toEqual([]);
  });

  it('with matchWithoutReference false, only credits naming a payout match', async () => {
    await payout({ id: 'po_strict', amount: 90_000, arrival: '2025-12-01' });
    await payout({ id: 'po_strict_ref', amount: 91_000, arrival: '2025-12-01', trace: 'TRSTRICT01' });
    const s = statement('2025-12-01', '2025-12-04', [
      { amount: 90_000, direction: 'credit', valueDate: '2025-12-01' },
      { amount: 91_000, direction: 'credit', valueDate: '2025-12-01', text: 'TRSTRICT01' },
    ]);
    const result = await importStatements(knex(), parseMt940(sourceOf(mt940([s]))), { accounts: ACCOUNTS, rules: { ...DEFAULT_MATCHING_RULES, matchWithoutReference: false }, importedBy: 'test' });
    expect(result.matching.matches.map((m) => [m.rule, m.payoutIds])).toEqual([['reference', ['po_strict_ref']]]);
    expect(result.matching.exceptions.map((e) => [e.kind, e.payoutId ?? e.bankEntryId]).sort()).toEqual([
      ['unmatched_bank_credit', expect.any(String)],
      ['unmatched_payout', 'po_strict'],
    ]);
  });

  it('a tolerance lets bank charges through: the match records the difference', async () => {
    await payout({ id: 'po_charged', amount: 100_000, arrival: '2026-01-05', trace: 'TRCHARGED1' });
    const s = statement('2026-01-05', '2026-01-05', [{ amount: 99_985, direction: 'credit', valueDate: '2026-01-05', text: 'PSP TRCHARGED1' }]);
    const result = await importStatements(knex(), parseMt940(sourceOf(mt940([s]))), { accounts: ACCOUNTS, rules: { ...DEFAULT_MATCHING_RULES, amountTolerance: 20 }, importedBy: 'test' });
    expect(result.matching.matches).toEqual([expect.objectContaining({ rule: 'reference', payoutIds: ['po_charged'], payoutTotal: 100_000, creditTotal: 99_985 })]);
    const match = await knex()('bank_statement_matches').where({ id: result.matching.matches[0]!.id }).first();
    expect(match.details.difference).toBe(-15);
  });
});

describe('findSubset', () => {
  it('finds the fewest parts that make the target, within the tolerance', () => {
    const items = [5, 7, 11, 13, 40].map((amount, i) => ({ amount, i }));
    expect(findSubset(items, 18, 0, 4)!.map((x) => x.amount).sort((a, b) => a - b)).toEqual([5, 13]);
    expect(findSubset(items, 29, 0, 4)!.map((x) => x.amount).sort((a, b) => a - b)).toEqual([5, 11, 13]);
    expect(findSubset(items, 29, 0, 2)).toBeUndefined();
    expect(findSubset(items, 46, 1, 2)!.map((x) => x.amount).sort((a, b) => a - b)).toEqual([7, 40]);
    expect(findSubset(items, 1000, 0, 4)).toBeUndefined();
  });
});
