import { describe, expect, it } from '@jest/globals';
import { parseCamt053 } from './camt053-parser.js';
import { StatementFormatError, type StatementEvent } from './statement-model.js';
import { camt053, type GeneratedStatement } from './test-statements.js';
import { sourceOf } from './text-stream.js';

async function read(text: string | Uint8Array, chunk = 0): Promise<StatementEvent[]> {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const parts = chunk > 0 ? Array.from({ length: Math.ceil(bytes.length / chunk) }, (_, i) => bytes.subarray(i * chunk, (i + 1) * chunk)) : [bytes];
  const events: StatementEvent[] = [];
  for await (const event of parseCamt053(sourceOf(...parts))) events.push(event);
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

const statement: GeneratedStatement = {
  account: 'PS92PALS000000000400123456701',
  currency: 'ILS',
  id: 'STMT-2026-01-05',
  sequence: '5',
  openingDate: '2026-01-04',
  closingDate: '2026-01-05',
  opening: 100_000,
  entries: [
    { amount: 150_075, direction: 'credit', valueDate: '2026-01-05', bookingDate: '2026-01-04', text: 'PSP TRACE7XK2Q9 & more', endToEndId: 'E2E-1', bankRef: 'BANK-1' },
    { amount: 50, direction: 'debit', valueDate: '2026-01-05' },
    { amount: 999, direction: 'credit', valueDate: '2026-01-06', status: 'PDNG' },
  ],
};

describe('parseCamt053', () => {
  it('reads every version 001.NN (001.02 to 001.13), with Sts as text or Sts/Cd', async () => {
    for (const version of ['02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12', '13']) {
      const events = await read(camt053([statement], { version }));
      expect(events.map((e) => e.kind)).toEqual(['statement', 'entry', 'entry', 'entry', 'end']);
      const header = events[0]!.kind === 'statement' ? events[0]!.header : undefined;
      expect(header).toMatchObject({
        format: 'camt.053',
        formatVersion: `001.${version}`,
        index: 1,
        statementId: 'STMT-2026-01-05',
        sequence: '5',
        account: { iban: 'PS92PALS000000000400123456701', other: null, currency: 'ILS', at: { line: 10, path: '/Document/BkToCstmrStmt/Stmt[1]/Acct' } },
        createdAt: '2026-01-05T23:00:00+02:00',
        fromDate: '2026-01-04',
        toDate: '2026-01-05',
        opening: { amount: 100_000, currency: 'ILS', date: '2026-01-04', at: { path: '/Document/BkToCstmrStmt/Stmt[1]/Bal[1]/Amt' } },
      });
      const [credit, debit, pending] = entriesOf(events);
      expect(credit).toMatchObject({
        index: 1,
        amount: 150_075,
        currency: 'ILS',
        direction: 'credit',
        status: 'booked',
        reversal: false,
        bookingDate: '2026-01-04',
        valueDate: '2026-01-05',
        endToEndId: 'E2E-1',
        accountServicerRef: 'BANK-1',
        remittanceInfo: 'PSP TRACE7XK2Q9 & more',
        bankTransactionCode: 'PMNT/RCDT/ESCT',
        at: { path: '/Document/BkToCstmrStmt/Stmt[1]/Ntry[1]' },
      });
      expect(debit).toMatchObject({ index: 2, amount: 50, direction: 'debit', status: 'booked', remittanceInfo: null, endToEndId: null });
      expect(pending).toMatchObject({ index: 3, amount: 999, status: 'pending' });
      const end = events.at(-1)!;
      expect(end.kind === 'end' && end.end.closing).toMatchObject({ amount: 100_000 + 150_075 - 50, currency: 'ILS', date: '2026-01-05' });
    }
  });

  it('reads the same events whatever the chunks the file arrives in', async () => {
    const xml = camt053([statement, { ...statement, id: 'SECOND', entries: [{ amount: 1, direction: 'credit', valueDate: '2026-01-05', text: 'مدفوعات الخزينة' }] }]);
    const whole = await read(xml);
    expect(entriesOf(whole).at(-1)!.remittanceInfo).toBe('مدفوعات الخزينة');
    expect(await read(xml, 1)).toEqual(whole);
    expect(await read(xml, 13)).toEqual(whole);
  });

  it('reads the details banks put in: other account ids, PRCD, DtTm, reversals, batches of transactions, an MX envelope', async () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<BizMsgEnvlp>
  <AppHdr xmlns="urn:iso:std:iso:20022:tech:xsd:head.001.001.02"><MsgDefIdr>camt.053.001.08</MsgDefIdr></AppHdr>
  <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
    <BkToCstmrStmt>
      <GrpHdr><MsgId>M</MsgId><CreDtTm>2026-01-06T01:00:00</CreDtTm></GrpHdr>
      <Stmt>
        <Id>S</Id><LglSeqNb>77</LglSeqNb>
        <Acct><Id><Othr><Id>400-123456-701</Id></Othr></Id></Acct>
        <Bal><Tp><CdOrPrtry><Cd>PRCD</Cd></CdOrPrtry></Tp><Amt Ccy="JOD">1.5</Amt><CdtDbtInd>DBIT</CdtDbtInd><Dt><DtTm>2026-01-05T23:59:59+02:00</DtTm></Dt></Bal>
        <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="JOD">0.500</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-01-06</Dt></Dt></Bal>
        <Ntry>
          <NtryRef>N1</NtryRef>
          <Amt Ccy="JOD">2.000</Amt><CdtDbtInd>CRDT</CdtDbtInd><RvslInd>true</RvslInd><Sts><Cd>BOOK</Cd></Sts>
          <BookgDt><DtTm>2026-01-06T10:00:00+02:00</DtTm></BookgDt>
          <BkTxCd><Prtry><Cd>NTRF</Cd></Prtry></BkTxCd>
          <AddtlNtryInf>Batch</AddtlNtryInf>
          <NtryDtls>
            <TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId><AcctSvcrRef>TX-1</AcctSvcrRef></Refs><RmtInf><Ustrd>first</Ustrd></RmtInf></TxDtls>
            <TxDtls><Refs><EndToEndId>E2E-2</EndToEndId></Refs><RmtInf><Strd><CdtrRefInf><Ref>RF18539007547034</Ref></CdtrRefInf></Strd></RmtInf><AddtlTxInf>second</AddtlTxInf></TxDtls>
          </NtryDtls>
        </Ntry>
      </Stmt>
    </BkToCstmrStmt>
  </Document>
</BizMsgEnvlp>`;
    const events = await read(xml);
    const header = events[0]!.kind === 'statement' ? events[0]!.header : undefined;
    expect(header).toMatchObject({ statementId: 'S', sequence: '77', account: { iban: null, other: '400-123456-701', currency: null }, createdAt: '2026-01-06T01:00:00', opening: { amount: -1_500, currency: 'JOD', date: '2026-01-05' }, fromDate: '2026-01-05', toDate: '2026-01-06' });
    expect(entriesOf(events)[0]).toMatchObject({
      amount: 2_000,
      direction: 'credit',
      reversal: true,
      bookingDate: '2026-01-06',
      valueDate: '2026-01-06',
      customerRef: 'N1',
      endToEndId: 'E2E-2',
      accountServicerRef: 'TX-1',
      remittanceInfo: 'first\nRF18539007547034',
      additionalInfo: 'Batch\nsecond',
      bankTransactionCode: 'NTRF',
    });
  });

  it('reads a Document whose namespace is bound to a prefix, declared on it or on an envelope', async () => {
    const plain = camt053([statement]);
    const prefixed = plain.replace(/<(\/?)([A-Za-z]+)([ >])/g, '<$1ns2:$2$3').replace('xmlns=', 'xmlns:ns2=');
    expect(prefixed).toContain('<ns2:Ntry>');
    expect(await read(prefixed)).toEqual(await read(plain));
    const enveloped = `<Env xmlns:c="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">${plain.replace(/^<\?xml[^>]*>\n/, '').replace(' xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"', '').replace(/<(\/?)([A-Za-z]+)([ >])/g, '<$1c:$2$3')}</Env>`;
    expect(entriesOf(await read(enveloped)).map((e) => e.amount)).toEqual([150_075, 50, 999]);
  });

  it('says which line and element is wrong, and why', async () => {
    const good = camt053([statement]);
    const cases: Array<[string, number, string | undefined, RegExp]> = [
      [good.replace('<Amt Ccy="ILS">1500.75</Amt>', '<Amt Ccy="ILS">1500,75</Amt>'), 14, '/Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/Amt', /"1500,75" is not an amount/],
      [good.replace('<Amt Ccy="ILS">0.50</Amt>', '<Amt Ccy="ILS">0.505</Amt>'), 23, '/Document/BkToCstmrStmt/Stmt[1]/Ntry[2]/Amt', /"0.505" has more decimals than ILS has \(2\)/],
      [good.replace('<Amt Ccy="ILS">0.50</Amt>', '<Amt>0.50</Amt>'), 23, '/Document/BkToCstmrStmt/Stmt[1]/Ntry[2]/Amt', /the entry's Amt has no Ccy attribute/],
      [good.replace('<CdtDbtInd>DBIT</CdtDbtInd>', '<CdtDbtInd>DEBIT</CdtDbtInd>'), 24, '/Document/BkToCstmrStmt/Stmt[1]/Ntry[2]/CdtDbtInd', /CdtDbtInd "DEBIT" is neither CRDT nor DBIT/],
      [good.replace('<ValDt><Dt>2026-01-06</Dt>', '<ValDt><Dt>2026-02-30</Dt>'), 33, '/Document/BkToCstmrStmt/Stmt[1]/Ntry[3]/ValDt/Dt', /"2026-02-30" is not a date/],
      [good.replace('</Ntry>\n      <Ntry>', '</Ntry>\n      <Ntry>\n      </Ntry>\n      <Ntry>'), 23, '/Document/BkToCstmrStmt/Stmt[1]/Ntry[2]', /the entry has no Amt/],
      [good.replace('<Id>STMT-2026-01-05</Id>', '<Id>A</Id><Id>B</Stmt>'), 6, undefined, /the XML is not well formed: unexpected close tag/],
      [good.replace('camt.053.001.08', 'camt.052.001.08'), 2, '/Document', /the document is camt.052.001.08, not a camt.053 bank statement/],
      [good.replace(' xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"', ''), 2, '/Document', /the Document has no namespace/],
      ['<?xml version="1.0"?>\n<Report>\n</Report>\n', 4, undefined, /holds no camt.053 Document/],
      [good.replace('<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0"?><!DOCTYPE Document [<!ENTITY x "y">]>'), 1, undefined, /a DOCTYPE is not accepted/],
      [good.replace('<Id>STMT-2026-01-05</Id>', ''), 5, '/Document/BkToCstmrStmt/Stmt[1]', /the statement has no Id/],
      ['not xml at all', 1, undefined, /the XML is not well formed/],
    ];
    for (const [xml, line, path, message] of cases) {
      const error = await failure(xml);
      expect(error.message).toMatch(message);
      expect(error.at.line).toBe(line);
      if (path) expect(error.at.path).toBe(path);
    }
  });
});
