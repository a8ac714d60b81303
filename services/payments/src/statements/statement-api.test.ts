import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { schemaViolations } from '@tamkeen/testing';
import request from 'supertest';
import { PLATFORM_ORGANISATION_ID } from '../ledger/ledger-routes.js';
import { testPayments, type TestPayments } from '../test-payments.js';
import { STATEMENTS_PATH } from './statement-routes.js';
import { camt053, mt940, type GeneratedStatement } from './test-statements.js';

const ILS = 'PS92PALS000000000400123456701';
const USD = 'PS44PALS000000000400123456702';
const JOD = '400-123456-703';
const ACCOUNTS = [
  { account: ILS, currency: 'ILS', name: 'Treasury ILS' },
  { account: USD, currency: 'USD', name: 'Treasury USD' },
  { account: JOD, currency: 'JOD', name: 'Treasury JOD' },
];

let service: TestPayments;
let write: string;
let read: string;

beforeAll(async () => {
  service = await testPayments('bank statements api', { env: { TREASURY_ACCOUNTS: JSON.stringify(ACCOUNTS), STATEMENT_MAX_BYTES: '100000' } });
  write = await service.bearer('reconciliation:write reconciliation:read', PLATFORM_ORGANISATION_ID);
  read = await service.bearer('reconciliation:read', PLATFORM_ORGANISATION_ID);
});
afterAll(() => service.close());

const violations = (schema: string, body: unknown) => schemaViolations('payments.yaml', `#/components/schemas/${schema}`, body);
const XML = 'application/xml';
const MT940 = 'text/plain; charset=utf-8';

const post = (body: string, type: string, token = write) => request(service.app).post(STATEMENTS_PATH).set('Authorization', token).set('Content-Type', type).send(body);

async function stored() {
  const count = async (table: string) => Number((await service.stores.knex(table).count<Array<{ n: string }>>('* as n'))[0]!.n);
  return { statements: await count('bank_statements'), entries: await count('bank_statement_entries'), matches: await count('bank_statement_matches'), exceptions: await count('reconciliation_exceptions') };
}

let day = 0;
/** A statement of its own day (each test's statements are distinct). */
function statement(over: Partial<GeneratedStatement> = {}): GeneratedStatement {
  day++;
  const date = new Date(Date.UTC(2025, 0, 1) + day * 86_400_000).toISOString().slice(0, 10);
  return {
    account: ILS,
    currency: 'ILS',
    id: `STMT-${date}`,
    sequence: String(day),
    openingDate: date,
    closingDate: date,
    opening: 1_000_000,
    entries: [
      { amount: 250_075, direction: 'credit', valueDate: date, text: 'Transfer from a citizen' },
      { amount: 1_200, direction: 'debit', valueDate: date, text: 'Bank charges' },
    ],
    ...over,
  };
}

describe('POST /payments/v1/reconciliation/statements', () => {
  it('imports a camt.053 statement as it streams, and shows it, its entries and its matching outcome', async () => {
    const s = statement();
    const res = await post(camt053([s]), XML);
    expect(res.status).toBe(201);
    expect(violations('BankStatementImport', res.body)).toEqual([]);
    const [imported] = res.body.statements;
    expect(imported).toMatchObject({
      outcome: 'imported',
      format: 'camt.053',
      format_version: '001.08',
      account: ILS,
      account_name: 'Treasury ILS',
      currency: 'ILS',
      statement_id: s.id,
      sequence: s.sequence,
      from_date: s.openingDate,
      to_date: s.closingDate,
      opening_balance: { amount: 1_000_000, date: s.openingDate },
      closing_balance: { amount: 1_248_875, date: s.closingDate },
      entry_count: 2,
      credit_count: 1,
      credit_total: 250_075,
      debit_count: 1,
      debit_total: 1_200,
      imported_by: expect.any(String),
    });
    // No payout arrives then: the credit is an exception; the debit is not the PSP's business.
    expect(res.body.matching).toMatchObject({ matches: [], exception_counts: { unmatched_bank_credit: 1, unmatched_payout: 0 } });

    const shown = await request(service.app).get(`${STATEMENTS_PATH}/${imported.id}`).set('Authorization', read);
    expect(shown.status).toBe(200);
    expect(violations('BankStatementDetail', shown.body)).toEqual([]);
    expect(shown.body).toMatchObject({ id: imported.id, content_hash: imported.content_hash, matches: [] });

    const entries = await request(service.app).get(`${STATEMENTS_PATH}/${imported.id}/entries`).query({ limit: 1 }).set('Authorization', read);
    expect(entries.status).toBe(200);
    expect(violations('BankStatementEntryList', entries.body)).toEqual([]);
    expect(entries.body).toMatchObject({ entries: [{ position: 1, line: 13, amount: 250_075, currency: 'ILS', direction: 'credit', status: 'booked', remittance_info: 'Transfer from a citizen', match_id: null }], next_after: 1 });
    const rest = await request(service.app).get(`${STATEMENTS_PATH}/${imported.id}/entries`).query({ after: 1 }).set('Authorization', read);
    expect(rest.body).toMatchObject({ entries: [{ position: 2, amount: 1_200, direction: 'debit' }], next_after: null });
  });

  it('imports MT940 statements, with and without the FIN envelope, several in a file', async () => {
    const usd = statement({ account: USD, currency: 'USD', opening: -500 });
    const jod = statement({ account: JOD, currency: 'JOD', opening: 2_000, entries: [{ amount: 1_005, direction: 'credit', valueDate: '2025-01-01', text: 'x' }] });
    for (const envelope of [true, false]) {
      const [a, b] = [{ ...usd, id: `${usd.id}-${envelope}` }, { ...jod, id: `${jod.id}-${envelope}` }];
      const res = await post(mt940([a, b], { envelope }), MT940);
      expect(res.status).toBe(201);
      expect(violations('BankStatementImport', res.body)).toEqual([]);
      expect(res.body.statements.map((s: { format: string; currency: string; opening_balance: unknown; closing_balance: { amount: number } }) => [s.format, s.currency, s.opening_balance, s.closing_balance.amount])).toEqual([
        ['mt940', 'USD', { amount: -500, date: usd.openingDate }, -500 + 250_075 - 1_200],
        ['mt940', 'JOD', { amount: 2_000, date: jod.openingDate }, 3_005],
      ]);
    }
    const listed = await request(service.app).get(STATEMENTS_PATH).query({ currency: 'JOD' }).set('Authorization', read);
    expect(listed.status).toBe(200);
    expect(violations('BankStatementList', listed.body)).toEqual([]);
    expect(listed.body.statements.map((s: { account: string }) => s.account)).toEqual([JOD, JOD]);
    const page = await request(service.app).get(STATEMENTS_PATH).query({ limit: 1 }).set('Authorization', read);
    expect(page.body.statements).toHaveLength(1);
    const next = await request(service.app).get(STATEMENTS_PATH).query({ limit: 1, cursor: page.body.next_cursor }).set('Authorization', read);
    expect(next.body.statements[0].id).not.toBe(page.body.statements[0].id);
  });

  it('adds nothing when the same statement comes again, in either format or among new ones', async () => {
    const s = statement();
    expect((await post(camt053([s]), XML)).status).toBe(201);
    const before = await stored();
    const again = await post(camt053([s]), XML);
    expect(again.status).toBe(200);
    expect(violations('BankStatementImport', again.body)).toEqual([]);
    expect(again.body.statements.map((x: { outcome: string }) => x.outcome)).toEqual(['already_imported']);
    expect(again.body.matching).toEqual({ matches: [], exceptions: [], exception_counts: { unmatched_bank_credit: 0, unmatched_payout: 0 } });
    expect(await stored()).toEqual(before);

    const fresh = statement();
    const mixed = await post(camt053([s, fresh]), XML);
    expect(mixed.status).toBe(201);
    expect(mixed.body.statements.map((x: { outcome: string }) => x.outcome)).toEqual(['already_imported', 'imported']);
    expect((await stored()).statements).toBe(before.statements + 1);
  });

  it('refuses the same statement with other content (409), storing nothing', async () => {
    const s = statement();
    const first = await post(mt940([s]), MT940);
    expect(first.status).toBe(201);
    const before = await stored();
    const changed = { ...s, entries: [...s.entries, { amount: 1, direction: 'credit' as const, valueDate: s.openingDate }] };
    const res = await post(mt940([statement(), changed]), MT940);
    expect(res.status).toBe(409);
    expect(violations('StatementProblem', res.body)).toEqual([]);
    expect(res.body).toMatchObject({ code: 'statement_conflict', statement: 2, existing_statement_id: first.body.statements[0].id });
    expect(res.body.detail).toMatch(new RegExp(`statement 2 \\(${s.id}, sequence ${s.sequence}, account ${ILS}, opening ${s.openingDate}\\) was imported on .* with other content \\(2 entries; this file has 3\\)`));
    expect(await stored()).toEqual(before);
  });

  describe('refuses a wrong statement with a 422 that says which line and why, storing nothing', () => {
    const cases: Array<[string, () => [string, string], number, Record<string, unknown>, RegExp]> = [
      ['camt.053 not well formed', () => [camt053([statement()]).replace('</Ntry>', '</Nrty>'), XML], 422, { code: 'invalid_statement', line: 20 }, /line 20 \(\/Document\/BkToCstmrStmt\/Stmt\[1\].*\): the XML is not well formed: unexpected close tag/],
      ['an MT940 line that is not one', () => [mt940([statement()]).replace(':61:', ':61:X'), MT940], 422, { code: 'invalid_statement', line: 5, field: ':61:' }, /line 5 \(:61:\): the statement line :61: "X.*" is not a value date/],
      ['an account that is not the treasury\'s (camt)', () => [camt053([statement({ account: 'PS00OTHR000000000000000000000' })]), XML], 422, { code: 'statement_rejected', statement: 1, line: 10, element: '/Document/BkToCstmrStmt/Stmt[1]/Acct' }, /the account PS00OTHR000000000000000000000 is not one of the treasury's accounts/],
      ['an account that is not the treasury\'s (MT940)', () => [mt940([statement({ account: '12345678/999' })]), MT940], 422, { code: 'statement_rejected', statement: 1, line: 2, field: ':25:' }, /line 2 \(:25:\): the account 12345678\/999 is not one of the treasury's accounts/],
      ['an account in another currency', () => [camt053([statement()]).replace('<Ccy>ILS</Ccy>', '<Ccy>EUR</Ccy>'), XML], 422, { code: 'statement_rejected', line: 10 }, /the account's currency is EUR, but the treasury's account .* is in ILS/],
      ['an opening balance in another currency', () => [mt940([statement({ currency: 'USD' })]), MT940], 422, { code: 'statement_rejected', line: 4, field: ':60F:' }, /the opening balance is in USD, but the account PS92.* is in ILS/],
      ['an entry in another currency', () => [camt053([statement({ entries: [{ amount: 5, direction: 'credit', valueDate: '2025-01-01', currency: 'USD' }] })]), XML], 422, { code: 'statement_rejected', line: 13, element: '/Document/BkToCstmrStmt/Stmt[1]/Ntry[1]' }, /the entry is in USD, but the account .* is in ILS/],
      ['a closing balance in another currency', () => [mt940([statement({ closingCurrency: 'JOD' })]), MT940], 422, { code: 'statement_rejected', line: 9, field: ':62F:' }, /the closing balance is in JOD/],
      ['balances that do not add up (camt)', () => [camt053([statement({ closing: 1_248_876 })]), XML], 422, { code: 'statement_rejected', line: 12, element: '/Document/BkToCstmrStmt/Stmt[1]/Bal[2]/Amt' }, /the closing balance 12488.76 ILS is not the opening balance 10000.00 ILS plus 1 credits of 2500.75 ILS minus 1 debits of 12.00 ILS, which is 12488.75 ILS \(0.01 ILS apart\)/],
      ['balances that do not add up (MT940)', () => [mt940([statement({ account: JOD, currency: 'JOD', closing: 0 })]), MT940], 422, { code: 'statement_rejected', line: 9, field: ':62F:' }, /the closing balance 0.000 JOD is not the opening balance 1000.000 JOD plus 1 credits of 250.075 JOD minus 1 debits of 1.200 JOD, which is 1248.875 JOD/],
      ['no closing balance', () => [camt053([statement()]).replace(/<Bal><Tp><CdOrPrtry><Cd>CLBD.*\n/, ''), XML], 422, { code: 'statement_rejected', line: 28, element: '/Document/BkToCstmrStmt/Stmt[1]' }, /the statement has no closing balance \(a Bal of type CLBD\)/],
      ['a good statement followed by a wrong one', () => [mt940([statement(), statement({ closing: 5 })]), MT940], 422, { code: 'statement_rejected', statement: 2, line: 20 }, /Statement 2 of the file is refused: line 20 \(:62F:\): the closing balance/],
      ['an empty file', () => ['', XML], 422, { code: 'invalid_statement', line: 1 }, /line 1: the XML is not well formed: document must contain a root element\. Nothing/],
    ];
    for (const [what, file, status, problem, detail] of cases) {
      it(what, async () => {
        const before = await stored();
        const [body, type] = file();
        const res = await post(body, type);
        expect(res.status).toBe(status);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(violations('StatementProblem', res.body)).toEqual([]);
        expect(res.body).toMatchObject(problem);
        expect(res.body.detail).toMatch(detail);
        expect(res.body.detail).toMatch(/Nothing was imported\.$/);
        expect(await stored()).toEqual(before);
      });
    }
  });

  it('refuses a file larger than STATEMENT_MAX_BYTES with a 413, storing nothing', async () => {
    const before = await stored();
    const big = statement({ entries: Array.from({ length: 400 }, (_, i) => ({ amount: i + 1, direction: 'credit' as const, valueDate: '2025-01-01', text: `Transfer ${i}` })) });
    const body = camt053([big]);
    expect(body.length).toBeGreaterThan(100_000);
    const res = await post(body, XML);
    expect(res.status).toBe(413);
    expect(res.body.detail).toBe('A statement file may be at most 100000 bytes.');
    expect(await stored()).toEqual(before);
  });

  it('answers while the client is still sending: a chunked body over the limit, and a wrong first line of a large file', async () => {
    const server = service.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    const send = (type: string, chunks: string[]) =>
      new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: STATEMENTS_PATH, headers: { Authorization: write, 'Content-Type': type, 'Transfer-Encoding': 'chunked' } }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) as Record<string, unknown> }));
        });
        req.on('error', reject);
        const next = (i: number) => {
          if (i === chunks.length) return req.end();
          if (req.write(chunks[i])) next(i + 1);
          else req.once('drain', () => next(i + 1));
        };
        next(0);
      });
    try {
      const before = await stored();
      const line = `:61:250101C1,00NTRFNONREF\r\n:86:${'x'.repeat(60)}\r\n`;
      const tooBig = await send(MT940, [mt940([statement()]).split(':62F:')[0]!, ...Array.from({ length: 300 }, () => line.repeat(10))]);
      expect(tooBig).toMatchObject({ status: 413, body: { detail: 'A statement file may be at most 100000 bytes.' } });
      const wrongFirst = await send(MT940, [':20:X\r\n:25:Y\r\n:28C:1\r\n:60F:C250101ILS1,00\r\n:61:WRONG\r\n', ...Array.from({ length: 100 }, () => line.repeat(10))]);
      expect(wrongFirst).toMatchObject({ status: 422, body: { code: 'invalid_statement', line: 5, field: ':61:' } });
      expect(await stored()).toEqual(before);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('is the platform\'s finance staff\'s: a ministry gets 403, a token without the scope 403, none 401; another media type 415', async () => {
    const body = camt053([statement()]);
    const ministry = await service.bearer('reconciliation:write reconciliation:read', 'moh');
    const forbidden = await post(body, XML, ministry);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe('platform_only');
    for (const path of [STATEMENTS_PATH, `${STATEMENTS_PATH}/00000000-0000-4000-8000-000000000000`, `${STATEMENTS_PATH}/00000000-0000-4000-8000-000000000000/entries`]) {
      expect((await request(service.app).get(path).set('Authorization', ministry)).status).toBe(403);
    }
    expect((await post(body, XML, read)).status).toBe(403);
    expect((await request(service.app).post(STATEMENTS_PATH).set('Content-Type', XML).send(body)).status).toBe(401);
    const media = await post('{"statement": 1}', 'application/json');
    expect(media.status).toBe(415);
    expect((await request(service.app).get(`${STATEMENTS_PATH}/not-a-statement`).set('Authorization', read)).status).toBe(404);
    expect((await request(service.app).get(STATEMENTS_PATH).query({ currency: 'shekel' }).set('Authorization', read)).status).toBe(400);
  });
});
