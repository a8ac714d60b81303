import { createReadStream, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { schemaViolations } from '@tamkeen/testing';
import request from 'supertest';
import { PLATFORM_ORGANISATION_ID } from '../ledger/ledger-routes.js';
import { testPayments, type TestPayments } from '../test-payments.js';
import { parseCamt053 } from './camt053-parser.js';
import { parseMt940 } from './mt940-parser.js';
import type { StatementEvent } from './statement-model.js';
import { STATEMENTS_PATH } from './statement-routes.js';

/**
 * Statement files this project did not write (fixtures/README.md says where each comes from), read
 * and imported as a new user would: their accounts are configured as treasury accounts here.
 */
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const fixture = (name: string) => join(FIXTURES, name);

const ACCOUNTS = [
  { account: 'DABADKKK/1234567890', currency: 'DKK', name: 'Danske Bank example' },
  { account: 'NL18KNAB0200000000', currency: 'EUR', name: 'Knab example' },
  { account: '0111111111', currency: 'EUR', name: 'ING example' },
  { account: 'NL20INGB0001234567', currency: 'EUR', name: 'ING envelope example' },
  { account: '20752041/0291593375', currency: 'EUR', name: 'Sparkasse example' },
  { account: 'NL26VAYB8060476890', currency: 'EUR', name: 'genkgo example' },
  { account: 'GB33BUKB20201555555555', currency: 'RON', name: 'genkgo RON example' },
];

let service: TestPayments;
let write: string;

beforeAll(async () => {
  service = await testPayments('real world bank statements', { env: { TREASURY_ACCOUNTS: JSON.stringify(ACCOUNTS) } });
  write = await service.bearer('reconciliation:write', PLATFORM_ORGANISATION_ID);
});
afterAll(() => service.close());

async function events(name: string): Promise<StatementEvent[]> {
  const parse = name.startsWith('camt053/') ? parseCamt053 : parseMt940;
  const all: StatementEvent[] = [];
  for await (const event of parse(createReadStream(fixture(name), { highWaterMark: 1024 }))) all.push(event);
  return all;
}

const upload = (name: string) =>
  request(service.app)
    .post(STATEMENTS_PATH)
    .set('Authorization', write)
    .set('Content-Type', name.startsWith('camt053/') ? 'application/xml' : 'text/plain')
    .send(readFileSync(fixture(name)));

const count = async (table: string) => Number((await service.stores.knex(table).count<Array<{ n: string }>>('* as n'))[0]!.n);

describe('real-world MT940 files', () => {
  it('Danske Bank: a text preamble, 15 statements of DKK, funds codes, several :86: per entry, :60M:/:62M:', async () => {
    const read = await events('mt940/danskebank-dk-example.sta');
    const headers = read.flatMap((e) => (e.kind === 'statement' ? [e.header] : []));
    expect(headers).toHaveLength(15);
    expect(headers.map((h) => h.sequence)).toContain('00012/002');
    expect(read.filter((e) => e.kind === 'entry')).toHaveLength(89);
    const first = read.find((e) => e.kind === 'entry');
    expect(first?.kind === 'entry' && first.entry).toMatchObject({ amount: 82_941_978, currency: 'DKK', direction: 'debit', valueDate: '2009-09-29', bookingDate: '2009-09-29', bankTransactionCode: 'NTRF', customerRef: 'Dansken' });

    const res = await upload('mt940/danskebank-dk-example.sta');
    expect(res.status).toBe(201);
    expect(schemaViolations('payments.yaml', '#/components/schemas/BankStatementImport', res.body)).toEqual([]);
    expect(res.body.statements).toHaveLength(15);
    expect(res.body.statements.every((s: { outcome: string; currency: string; account: string }) => s.outcome === 'imported' && s.currency === 'DKK' && s.account === 'DABADKKK/1234567890')).toBe(true);
    expect(res.body.statements.at(-1)).toMatchObject({ statement_id: '3996-1234567890', sequence: '00014/001', opening_balance: { amount: 385_970_148, date: '2009-10-19' }, closing_balance: { amount: 385_137_947, date: '2009-10-20' } });
    expect(await count('bank_statement_entries')).toBe(89);

    // The same file again adds nothing.
    const before = { statements: await count('bank_statements'), entries: await count('bank_statement_entries'), exceptions: await count('reconciliation_exceptions') };
    const again = await upload('mt940/danskebank-dk-example.sta');
    expect(again.status).toBe(200);
    expect(again.body.statements.every((s: { outcome: string }) => s.outcome === 'already_imported')).toBe(true);
    expect({ statements: await count('bank_statements'), entries: await count('bank_statement_entries'), exceptions: await count('reconciliation_exceptions') }).toEqual(before);
  });

  it('Knab and ING (with the bank\'s header lines, :65: and the statement\'s own :86:) import', async () => {
    const knab = await upload('mt940/knab-base-2.mta');
    expect(knab.status).toBe(201);
    expect(knab.body.statements[0]).toMatchObject({ statement_id: 'B7B28XXXXXXXXXXXX', sequence: '190/1', currency: 'EUR', opening_balance: { amount: 2_731 }, closing_balance: { amount: 2_591 }, debit_count: 2, debit_total: 140 });
    const ing = await upload('mt940/ing-1.mta');
    expect(ing.status).toBe(201);
    expect(ing.body.statements[0]).toMatchObject({ statement_id: 'INGEB', account: '0111111111', closing_balance: { amount: -994_509, date: '2010-07-23' }, credit_count: 2, credit_total: 1_101, debit_total: 1_000_099 });
  });

  it('ING\'s file in its FIN envelope (CRLF, {3:} block, an IBAN with the currency after it) reads, and is refused: its balances do not add up', async () => {
    const read = await events('mt940/ing-envelope-multiple-messages.txt');
    const entry = read.find((e) => e.kind === 'entry');
    expect(entry?.kind === 'entry' && entry.entry).toMatchObject({ amount: 1_500, direction: 'debit', customerRef: '5200150700013379', accountServicerRef: '00000000000001', additionalInfo: '/TRCD/00108/', remittanceInfo: expect.stringContaining('/EREF/E2E2014030100899040') });
    const res = await upload('mt940/ing-envelope-multiple-messages.txt');
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'statement_rejected', statement: 1, line: 13, field: ':62F:' });
    expect(res.body.detail).toBe(
      'Statement 1 of the file is refused: line 13 (:62F:): the closing balance 4882.15 EUR is not the opening balance 1000.00 EUR plus 0 credits of 0.00 EUR minus 1 debits of 15.00 EUR, which is 985.00 EUR (3897.15 EUR apart). Nothing was imported.',
    );
  });

  it('Sparkasse\'s file (a leading separator, umlauts, RD/DR marks) reads, and is refused: 100.00 EUR is missing', async () => {
    const read = await events('mt940/sparkasse-buxtehude.sta');
    expect(read.filter((e) => e.kind === 'entry').map((e) => e.kind === 'entry' && e.entry.remittanceInfo?.split('\n').at(-2))).toContain('however, some ümläuté and öther stüff för some rëäsön');
    const res = await upload('mt940/sparkasse-buxtehude.sta');
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'statement_rejected', line: 22, field: ':62F:' });
    expect(res.body.detail).toMatch(/the closing balance 13523.09 EUR is not the opening balance 13564.13 EUR plus 0 credits of 0.00 EUR minus 3 debits of 141.04 EUR, which is 13423.09 EUR \(100.00 EUR apart\)/);
  });
});

describe('real-world camt.053 files', () => {
  it('genkgo\'s camt.053.001.02 with two statements imports', async () => {
    const res = await upload('camt053/genkgo-camt053.v2.multi.statement.xml');
    expect(res.status).toBe(201);
    expect(res.body.statements.map((s: { statement_id: string; sequence: string | null; format_version: string; opening_balance: { amount: number }; closing_balance: { amount: number } }) => [s.statement_id, s.sequence, s.format_version, s.opening_balance.amount, s.closing_balance.amount])).toEqual([
      ['253EURNL26VAYB8060476890', '12312', '001.02', 1_815, 2_700],
      ['254EURNL26VAYB8060476890', null, '001.02', 2_700, 2_000],
    ]);
  });

  it('genkgo\'s camt.053.001.04 and 001.08 read, and are refused: their closing balance is in SEK', async () => {
    for (const [name, version] of [['camt053/genkgo-camt053.v4.xml', '001.04'], ['camt053/genkgo-camt053.v8.xml', '001.08']] as const) {
      const read = await events(name);
      expect(read[0]?.kind === 'statement' && read[0].header).toMatchObject({ formatVersion: version, statementId: '253EURNL26VAYB8060476890', account: { iban: null, other: 'NL26VAYB8060476890' } });
      const entry = read.find((e) => e.kind === 'entry');
      expect(entry?.kind === 'entry' && entry.entry).toMatchObject({ amount: 885, currency: 'EUR', direction: 'credit', bookingDate: '2014-12-31', valueDate: '2015-01-02', accountServicerRef: 'AAAASESS-FP-CN_98765/01', remittanceInfo: '4654654654654654' });
      const res = await upload(name);
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ code: 'statement_rejected', line: 80, element: '/Document/BkToCstmrStmt/Stmt[1]/Bal[2]/Amt' });
      expect(res.body.detail).toMatch(/the closing balance is in SEK, but the account NL26VAYB8060476890 is in EUR/);
    }
  });

  it('genkgo\'s statement with only an opening balance (five decimals of RON, a DtTm) reads, and is refused: no closing balance', async () => {
    const read = await events('camt053/genkgo-camt53.only-Dt-with-DtTm.xml');
    expect(read[0]?.kind === 'statement' && read[0].header.opening).toMatchObject({ amount: 544_209, currency: 'RON', date: '2025-07-23' });
    const res = await upload('camt053/genkgo-camt53.only-Dt-with-DtTm.xml');
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'statement_rejected', element: '/Document/BkToCstmrStmt/Stmt[1]' });
    expect(res.body.detail).toMatch(/the statement has no closing balance \(a Bal of type CLBD\)/);
  });
});
