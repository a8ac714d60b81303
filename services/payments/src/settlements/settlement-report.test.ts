import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { testPayments, type TestPayments } from '../test-payments.js';
import { minorUnits, reportInstant, reportLines, ReportLineError } from './settlement-report.js';

const HEADER = 'automatic_payout_id,automatic_payout_effective_at,balance_transaction_id,created_utc,created,available_on_utc,available_on,currency,gross,fee,net,reporting_category,source_id,description,customer_facing_amount,customer_facing_currency,payment_intent_id,card_brand';
const CHARGE = 'po_1,2026-03-04 00:00:00,txn_1,2026-03-01 10:23:45,2026-03-01 12:23:45,2026-03-03 00:00:00,2026-03-03 02:00:00,ils,150.00,5.45,144.55,charge,ch_1,Passport renewal fee,150.00,ils,pi_1,visa';

async function read(csv: string | Buffer, maxBytes = 1_000_000) {
  const lines = [];
  for await (const line of reportLines(Readable.from([Buffer.from(csv)]), { maxBytes })) lines.push(line);
  return lines;
}

async function refusal(csv: string): Promise<ReportLineError> {
  try {
    await read(csv);
  } catch (error) {
    if (error instanceof ReportLineError) return error;
    throw error;
  }
  throw new Error('the report was taken');
}

describe('amounts and times of a settlement report', () => {
  it('reads major units exactly in minor units, with the currency\'s decimals', () => {
    expect(minorUnits('150.00', 'ILS')).toBe(15_000);
    expect(minorUnits('-5.4', 'USD')).toBe(-540);
    expect(minorUnits('12', 'ILS')).toBe(1_200);
    expect(minorUnits('2.505', 'JOD')).toBe(2_505);
    expect(minorUnits('0.1', 'ILS')).toBe(10);
    expect(minorUnits('1.005', 'ILS')).toBeUndefined();
    expect(minorUnits('1,50', 'ILS')).toBeUndefined();
    expect(minorUnits('', 'ILS')).toBeUndefined();
    expect(minorUnits('1e3', 'ILS')).toBeUndefined();
  });

  it('reads UTC times as Stripe writes them, an offset when given, and refuses days that do not exist', () => {
    expect(reportInstant('2026-03-01 10:23:45')?.toISOString()).toBe('2026-03-01T10:23:45.000Z');
    expect(reportInstant('2026-03-01')?.toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(reportInstant('2026-03-01T10:23:45+02:00')?.toISOString()).toBe('2026-03-01T08:23:45.000Z');
    expect(reportInstant('2026-03-01 10:23')?.toISOString()).toBe('2026-03-01T10:23:00.000Z');
    expect(reportInstant('2026-02-30 00:00:00')).toBeUndefined();
    expect(reportInstant('2026-03-01 24:00:00')).toBeUndefined();
    expect(reportInstant('2024-02-29 23:59:59')?.toISOString()).toBe('2024-02-29T23:59:59.000Z');
    expect(reportInstant('01/03/2026')).toBeUndefined();
  });
});

describe('the lines of a settlement report', () => {
  it('reads Stripe\'s itemized payout reconciliation columns by name, ignoring the others, with their line numbers', async () => {
    const refund = 'po_1,2026-03-04 00:00:00,txn_2,2026-03-02 08:00:00,,2026-03-02 08:00:00,,ils,-50.00,0.00,-50.00,refund,re_9,REFUND FOR CHARGE,-50.00,ils,pi_1,visa';
    const lines = await read(`\uFEFF${HEADER}\r\n${CHARGE}\r\n\r\n${refund}\r\n`);
    expect(lines).toEqual([
      {
        lineNumber: 2,
        line: {
          id: 'txn_1',
          type: null,
          reportingCategory: 'charge',
          amount: 15_000,
          fee: 545,
          net: 14_455,
          currency: 'ILS',
          created: new Date('2026-03-01T10:23:45Z'),
          availableOn: new Date('2026-03-03T00:00:00Z'),
          description: 'Passport renewal fee',
          sourceId: 'ch_1',
          chargeId: 'ch_1',
          paymentIntentId: 'pi_1',
          refundId: null,
          disputeId: null,
          payoutId: 'po_1',
          payoutDate: '2026-03-04',
        },
      },
      { lineNumber: 4, line: expect.objectContaining({ id: 'txn_2', reportingCategory: 'refund', amount: -5_000, fee: 0, net: -5_000, refundId: 're_9', chargeId: null }) },
    ]);
  });

  it('takes a quoted field with a comma and a report without the optional columns', async () => {
    const lines = await read('balance_transaction_id,created_utc,available_on_utc,currency,gross,fee,net,reporting_category,description\ntxn_3,2026-03-01 10:00:00,2026-03-03,JOD,2.500,0.100,2.400,charge,"Fee, with a comma"\n');
    expect(lines[0]!.line).toMatchObject({ id: 'txn_3', currency: 'JOD', amount: 2_500, fee: 100, net: 2_400, description: 'Fee, with a comma', sourceId: null, payoutId: null, payoutDate: null, paymentIntentId: null });
  });

  it('refuses a wrong line naming its line and column (a 422 problem)', async () => {
    const wrongAmount = await refusal(`${HEADER}\n${CHARGE}\n${CHARGE.replace('txn_1', 'txn_2').replace('150.00,5.45', '15O.00,5.45')}\n`);
    expect(wrongAmount).toMatchObject({ status: 422, code: 'invalid_settlement_report', line: 3, column: 'gross' });
    expect(wrongAmount.detail).toMatch(/^Line 3, column gross: must be an amount in major units of ILS/);
    expect(wrongAmount.extensions).toEqual({ line: 3, column: 'gross' });

    expect(await refusal(`${HEADER}\n${CHARGE.replace('144.55', '144.56')}\n`)).toMatchObject({ line: 2, column: 'net' });
    expect(await refusal(`${HEADER}\n${CHARGE.replace(',ils,150.00', ',eur,150.00')}\n`)).toMatchObject({ line: 2, column: 'currency' });
    expect(await refusal(`${HEADER}\n${CHARGE.replace('2026-03-01 10:23:45', 'yesterday')}\n`)).toMatchObject({ line: 2, column: 'created_utc' });
    expect(await refusal(`${HEADER}\n${CHARGE.replace('txn_1', '')}\n`)).toMatchObject({ line: 2, column: 'balance_transaction_id' });
    expect(await refusal(`${HEADER.replace('gross', 'amount')}\n${CHARGE}\n`)).toMatchObject({ line: 1, column: 'gross' });
    expect(await refusal('')).toMatchObject({ line: 1, column: null });
  });

  it('refuses CSV that is not well formed, naming the line', async () => {
    const unclosed = await refusal(`${HEADER}\n${CHARGE}\n${CHARGE.replace('Passport renewal fee', '"Passport renewal fee')}\n`);
    expect(unclosed).toMatchObject({ status: 422, column: null });
    expect(unclosed.line).toBeGreaterThanOrEqual(3);
    expect(await refusal(`${HEADER}\n${CHARGE},extra\n`)).toMatchObject({ line: 2, column: null });
  });

  it('counts the line breaks inside a quoted field, and joins a character split between two chunks of the file', async () => {
    const csv = `${HEADER}\n${CHARGE.replace('Passport renewal fee', '"رسوم تجديد\nجواز السفر, ""عادي"""')}\n${CHARGE.replace('txn_1', 'txn_2')}\n`;
    const bytes = Buffer.from(csv);
    // Split inside an Arabic letter (two bytes in UTF-8), as a network might.
    const cut = bytes.indexOf(Buffer.from('تجديد')) + 1;
    const lines = [];
    for await (const line of reportLines(Readable.from([bytes.subarray(0, cut), bytes.subarray(cut)]), { maxBytes: 1_000_000 })) lines.push(line);
    expect(lines.map((l) => [l.lineNumber, l.line.id, l.line.description])).toEqual([
      [2, 'txn_1', 'رسوم تجديد\nجواز السفر, "عادي"'],
      [4, 'txn_2', 'Passport renewal fee'],
    ]);
    const wrongAfter = await refusal(`${HEADER}\n${CHARGE.replace('Passport renewal fee', '"two\nlines"')}\n${CHARGE.replace('150.00,5.45', 'x,5.45')}\n`);
    expect(wrongAfter).toMatchObject({ line: 4, column: 'gross' });
  });

  it('refuses a line that never ends (a quote never closed) without holding the rest of the file', async () => {
    const endless = `${HEADER}\n${CHARGE.replace('Passport renewal fee', '"Passport renewal fee')}${'x'.repeat(1_100_000)}`;
    const bytes = Buffer.from(endless);
    const chunks = Array.from({ length: Math.ceil(bytes.length / 65_536) }, (_, i) => bytes.subarray(i * 65_536, (i + 1) * 65_536));
    const reading = (async () => {
      for await (const line of reportLines(Readable.from(chunks), { maxBytes: 5_000_000 })) void line;
    })();
    await expect(reading).rejects.toMatchObject({ status: 422, line: 2, column: null, detail: expect.stringContaining('a quote that is never closed') });
  });

  it('refuses a report larger than the limit with a 413', async () => {
    await expect(read(`${HEADER}\n${CHARGE}\n`.repeat(1), 100)).rejects.toMatchObject({ status: 413 });
  });
});

describe('a settlement report over HTTP', () => {
  let service: TestPayments;
  beforeAll(async () => {
    service = await testPayments('settlement reports', { env: { SETTLEMENT_REPORT_MAX_BYTES: '600' } });
  });
  afterAll(() => service.close());

  it('answers a report larger than SETTLEMENT_REPORT_MAX_BYTES with a 413 problem, and stores nothing', async () => {
    const csv = `${HEADER}\n${Array.from({ length: 10 }, (_, i) => CHARGE.replace('txn_1', `txn_${i}`)).join('\n')}\n`;
    const answer = await request(service.app)
      .post('/payments/v1/reconciliation/settlement-reports')
      .set('Authorization', await service.bearer('reconciliation:write', 'tamkeen'))
      .set('Content-Type', 'text/csv')
      .send(csv);
    expect(answer.status).toBe(413);
    expect(answer.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(await service.stores.knex('settlement_lines').count('* as n')).toEqual([{ n: '0' }]);
  });
});
