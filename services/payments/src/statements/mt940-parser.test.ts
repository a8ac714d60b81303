import { describe, expect, it } from '@jest/globals';
import { parseMt940 } from './mt940-parser.js';
import { StatementFormatError, type StatementEntry, type StatementEvent } from './statement-model.js';
import { sourceOf } from './text-stream.js';
import { mt940 } from './test-statements.js';

async function read(text: string | Uint8Array, chunk = 0): Promise<StatementEvent[]> {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const parts = chunk > 0 ? Array.from({ length: Math.ceil(bytes.length / chunk) }, (_, i) => bytes.subarray(i * chunk, (i + 1) * chunk)) : [bytes];
  const events: StatementEvent[] = [];
  for await (const event of parseMt940(sourceOf(...parts))) events.push(event);
  return events;
}

const entriesOf = (events: StatementEvent[]) => events.flatMap((e) => (e.kind === 'entry' ? [e.entry] : []));

async function failure(text: string): Promise<StatementFormatError> {
  try {
    await read(text);
  } catch (error) {
    expect(error).toBeInstanceOf(StatementFormatError);
    return error as StatementFormatError;
  }
  throw new Error('the file was read without an error');
}

const STATEMENT = [
  '{1:F01PALSPS22AXXX0000000000}{2:O9401200260105PALSPS22AXXX00000000002601051200N}{4:',
  ':20:STMT-2026-005',
  ':25:PS92PALS000000000400123456701',
  ':28C:00005/001',
  ':60F:C260104ILS1000,00',
  ':61:2601050105C1500,75NTRFPO123456//BANKREF-1',
  ':86:PSP TRACE7XK2Q9',
  'second line of the information',
  ':61:2601050104D0,5NCHGNONREF',
  'BANK CHARGES',
  ':86:Charges',
  ':61:2601060106RC10,00NTRFREVERSAL1',
  ':61:2601060106RD2,00NTRFREVERSAL2',
  ':61:2512310102CR1,NINTNONREF//INT',
  ':62F:C260106ILS2493,25',
  ':64:C260106ILS2493,25',
  ':65:C260107ILS2493,25',
  ':86:statement information, not an entry\'s',
  '-}{5:{CHK:123456789ABC}}',
].join('\r\n');

describe('parseMt940', () => {
  it('reads the header, every :61: subfield and the :86: of each entry', async () => {
    const events = await read(STATEMENT);
    expect(events.map((e) => e.kind)).toEqual(['statement', 'entry', 'entry', 'entry', 'entry', 'entry', 'end']);
    const header = events[0]!.kind === 'statement' ? events[0]!.header : undefined;
    expect(header).toMatchObject({
      format: 'mt940',
      statementId: 'STMT-2026-005',
      sequence: '00005/001',
      account: { iban: 'PS92PALS000000000400123456701', other: null },
      fromDate: '2026-01-04',
      opening: { amount: 100_000, currency: 'ILS', date: '2026-01-04', at: { line: 5, field: ':60F:' } },
      at: { line: 2 },
    });
    const [payout, charge, reversedCredit, reversedDebit, interest] = entriesOf(events) as StatementEntry[];
    expect(payout).toMatchObject({
      index: 1,
      amount: 150_075,
      currency: 'ILS',
      direction: 'credit',
      status: 'booked',
      reversal: false,
      valueDate: '2026-01-05',
      bookingDate: '2026-01-05',
      customerRef: 'PO123456',
      accountServicerRef: 'BANKREF-1',
      bankTransactionCode: 'NTRF',
      remittanceInfo: 'PSP TRACE7XK2Q9\nsecond line of the information',
      additionalInfo: null,
      at: { line: 6, field: ':61:' },
    });
    // An entry date before the value date, "0,5" is 50 agorot, NONREF is no reference, the second line is the supplementary details.
    expect(charge).toMatchObject({ amount: 50, direction: 'debit', valueDate: '2026-01-05', bookingDate: '2026-01-04', customerRef: null, additionalInfo: 'BANK CHARGES', remittanceInfo: 'Charges' });
    // RC: a reversed credit takes money out; RD: a reversed debit puts it back.
    expect(reversedCredit).toMatchObject({ amount: 1_000, direction: 'debit', reversal: true });
    expect(reversedDebit).toMatchObject({ amount: 200, direction: 'credit', reversal: true });
    // Value date on 31 December, entry date 2 January: the next year. "C" then the funds code "R", an amount with no decimals.
    expect(interest).toMatchObject({ amount: 100, direction: 'credit', valueDate: '2025-12-31', bookingDate: '2026-01-02', bankTransactionCode: 'NINT', accountServicerRef: 'INT' });
    const end = events.at(-1)!;
    expect(end.kind === 'end' && end.end).toMatchObject({ closing: { amount: 249_325, currency: 'ILS', date: '2026-01-06', at: { line: 15 } }, closingAvailable: { amount: 249_325 } });
  });

  it('reads the same events whatever the chunks the file arrives in (a byte at a time, CR and LF split)', async () => {
    const whole = await read(STATEMENT);
    expect(await read(STATEMENT, 1)).toEqual(whole);
    expect(await read(STATEMENT, 7)).toEqual(whole);
    expect(await read(STATEMENT.replace(/\r\n/g, '\n'), 3)).toEqual(whole);
  });

  it('reads several statements, with or without the FIN envelope, :60M:/:62M: and a preamble', async () => {
    const statements = [
      { account: 'PS92PALS000000000400123456701', currency: 'ILS', id: 'A', openingDate: '2026-01-05', closingDate: '2026-01-05', opening: 0, entries: [{ amount: 100, direction: 'credit' as const, valueDate: '2026-01-05', text: 'one' }] },
      { account: 'PS92PALS000000000400123456701', currency: 'ILS', id: 'B', sequence: '2/1', openingDate: '2026-01-06', closingDate: '2026-01-06', opening: 100, entries: [] },
      { account: 'JO94CBJO0010000000000131000302', currency: 'JOD', id: 'C', openingDate: '2026-01-06', closingDate: '2026-01-06', opening: -5_000, entries: [{ amount: 1_250, direction: 'debit' as const, valueDate: '2026-01-06' }] },
    ];
    for (const envelope of [true, false]) {
      const events = await read(`Bank export\r\n\r\n${mt940(statements, { envelope })}`);
      const headers = events.flatMap((e) => (e.kind === 'statement' ? [e.header] : []));
      expect(headers.map((h) => [h.index, h.statementId, h.opening?.amount, h.opening?.currency])).toEqual([
        [1, 'A', 0, 'ILS'],
        [2, 'B', 100, 'ILS'],
        [3, 'C', -5_000, 'JOD'],
      ]);
      expect(entriesOf(events).map((e) => [e.amount, e.currency, e.direction])).toEqual([
        [100, 'ILS', 'credit'],
        [1_250, 'JOD', 'debit'],
      ]);
      expect(events.flatMap((e) => (e.kind === 'end' ? [e.end.closing?.amount] : []))).toEqual([100, 100, -6_250]);
    }
    const paged = await read(':20:P\n:25:ACC-1\n:28C:1/1\n:60F:C260101USD1,00\n:62M:C260101USD1,00\n:20:P\n:25:ACC-1\n:28C:1/2\n:60M:C260101USD1,00\n:61:260101C2,00NTRFX\n:62F:C260101USD3,00\n');
    expect(paged.map((e) => e.kind)).toEqual(['statement', 'end', 'statement', 'entry', 'end']);
  });

  it('parses amounts exactly, in the currency\'s minor unit, never through a float', async () => {
    const events = await read(':20:X\n:25:ACC\n:28C:1\n:60F:C260101JOD9007199254740,991\n:61:260101C0,001NTRFA\n:61:260101C1234567,891NTRFB\n:61:260101C0,10NTRFC\n:62F:C260101JOD9007199254740,991\n');
    expect(events[0]!.kind === 'statement' && events[0]!.header.opening!.amount).toBe(Number.MAX_SAFE_INTEGER);
    expect(entriesOf(events).map((e) => e.amount)).toEqual([1, 1_234_567_891, 100]);
  });

  it('says which line and field is wrong, and why', async () => {
    const cases: Array<[string, number, string, RegExp]> = [
      [':20:X\n:25:A\n:28C:1\n:60F:C260101ILS1,00\n:61:260101X1,00NTRFA\n:62F:C260101ILS1,00\n', 5, ':61:', /statement line :61: "260101X1,00NTRFA" is not/],
      [':20:X\n:25:A\n:28C:1\n:60F:C260101ILS1,00\n:61:260230C1,00NTRFA\n:62F:C260101ILS2,00\n', 5, ':61:', /value date 260230 in :61: is not a day of the calendar/],
      [':20:X\n:25:A\n:28C:1\n:60F:C260101ILS1,001\n:62F:C260101ILS1,00\n', 4, ':60F:', /"1,001" has more decimals than ILS has \(2\)/],
      [':20:X\n:25:A\n:28C:1\n:60F:260101ILS1,00\n:62F:C260101ILS1,00\n', 4, ':60F:', /is not C or D, a date YYMMDD, a currency and an amount/],
      [':20:X\n:25:A\n:28C:1\n:60F:C260101ILS1,00\n:61:260101C1,00NTRFA\n-\n', 6, ':62F:', /ends at line 6 without a :62F: closing balance/],
      [':20:X\n:25:A\n:28C:1\n:61:260101C1,00NTRFA\n:62F:C260101ILS1,00\n', 4, ':61:', /has no :60F: opening balance before :61:/],
      [':25:A\n:20:X\n', 1, ':25:', /field :25: comes before the statement's :20:/],
      [':20:X\n:25:A\n:28C:ONE\n', 3, ':28C:', /statement number "ONE" is not a number/],
      ['hello\nthis is not MT940\n', 2, '', /holds no MT940 statement/],
    ];
    for (const [text, line, field, message] of cases) {
      const error = await failure(text);
      expect(error.message).toMatch(message);
      expect(error.at.line).toBe(line);
      if (field) expect(error.at.field).toBe(field);
    }
  });

  it('reads ISO-8859-1 when told so', async () => {
    const latin1 = Buffer.from(':20:X\n:25:A\n:28C:1\n:60F:C260101ILS1,00\n:61:260101C1,00NTRFA\n:86:Zahlung f\u00fcr M\u00fcller\n:62F:C260101ILS2,00\n', 'latin1');
    const events: StatementEvent[] = [];
    for await (const event of parseMt940(sourceOf(latin1), { charset: 'iso-8859-1' })) events.push(event);
    expect(entriesOf(events)[0]!.remittanceInfo).toBe('Zahlung f\u00fcr M\u00fcller');
  });
});
