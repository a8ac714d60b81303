import { minorUnits } from './statement-model.js';

/** Statements made up for tests, written as camt.053 or MT940 files. */
export interface GeneratedEntry {
  amount: number;
  direction: 'credit' | 'debit';
  valueDate: string;
  bookingDate?: string;
  /** The remittance information (camt RmtInf/Ustrd; MT940 :86:). */
  text?: string;
  endToEndId?: string;
  bankRef?: string;
  /** camt only: BOOK (default), PDNG, INFO. */
  status?: 'BOOK' | 'PDNG' | 'INFO';
  /** A different currency for this entry (to test refusals). */
  currency?: string;
}

export interface GeneratedStatement {
  account: string;
  currency: string;
  id: string;
  sequence?: string;
  openingDate: string;
  closingDate: string;
  opening: number;
  /** Computed from the entries when omitted. */
  closing?: number;
  /** A different currency for the closing balance (to test refusals). */
  closingCurrency?: string;
  entries: GeneratedEntry[];
}

/** Minor units as the file writes them: 150075 ILS → "1500.75" (camt) or "1500,75" (MT940). */
export function decimal(amount: number, currency: string, separator: '.' | ','): string {
  const exponent = minorUnits(currency);
  const digits = String(Math.abs(amount)).padStart(exponent + 1, '0');
  return exponent === 0 ? `${digits}${separator === ',' ? ',' : ''}` : `${digits.slice(0, -exponent)}${separator}${digits.slice(-exponent)}`;
}

export function closingOf(statement: GeneratedStatement): number {
  return statement.closing ?? statement.entries.reduce((sum, e) => (e.status && e.status !== 'BOOK' ? sum : sum + (e.direction === 'credit' ? e.amount : -e.amount)), statement.opening);
}

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function camtBalance(type: string, amount: number, currency: string, date: string): string {
  return `      <Bal><Tp><CdOrPrtry><Cd>${type}</Cd></CdOrPrtry></Tp><Amt Ccy="${currency}">${decimal(amount, currency, '.')}</Amt><CdtDbtInd>${amount < 0 ? 'DBIT' : 'CRDT'}</CdtDbtInd><Dt><Dt>${date}</Dt></Dt></Bal>\n`;
}

export function camtEntry(e: GeneratedEntry, currency: string, version = '08'): string {
  const status = e.status ?? 'BOOK';
  const sts = Number(version) >= 6 ? `<Sts><Cd>${status}</Cd></Sts>` : `<Sts>${status}</Sts>`;
  const refs = e.endToEndId ? `<Refs><EndToEndId>${escapeXml(e.endToEndId)}</EndToEndId></Refs>` : '';
  const remittance = e.text ? `<RmtInf><Ustrd>${escapeXml(e.text)}</Ustrd></RmtInf>` : '';
  const details = refs || remittance ? `<NtryDtls><TxDtls>${refs}${remittance}</TxDtls></NtryDtls>` : '';
  return (
    `      <Ntry>\n        <Amt Ccy="${e.currency ?? currency}">${decimal(e.amount, e.currency ?? currency, '.')}</Amt>\n        <CdtDbtInd>${e.direction === 'credit' ? 'CRDT' : 'DBIT'}</CdtDbtInd>\n        ${sts}\n` +
    `        <BookgDt><Dt>${e.bookingDate ?? e.valueDate}</Dt></BookgDt><ValDt><Dt>${e.valueDate}</Dt></ValDt>\n` +
    `${e.bankRef ? `        <AcctSvcrRef>${escapeXml(e.bankRef)}</AcctSvcrRef>\n` : ''}        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>\n` +
    `${details ? `        ${details}\n` : ''}      </Ntry>\n`
  );
}

export function camtStatementHead(s: Omit<GeneratedStatement, 'entries'> & { closing: number }): string {
  return (
    `    <Stmt>\n      <Id>${escapeXml(s.id)}</Id>\n${s.sequence ? `      <ElctrncSeqNb>${s.sequence}</ElctrncSeqNb>\n` : ''}      <CreDtTm>${s.closingDate}T23:00:00+02:00</CreDtTm>\n` +
    `      <FrToDt><FrDtTm>${s.openingDate}T00:00:00+02:00</FrDtTm><ToDtTm>${s.closingDate}T23:59:59+02:00</ToDtTm></FrToDt>\n` +
    `      <Acct><Id>${/^[A-Z]{2}\d{2}/.test(s.account) ? `<IBAN>${s.account}</IBAN>` : `<Othr><Id>${s.account}</Id></Othr>`}</Id><Ccy>${s.currency}</Ccy></Acct>\n` +
    camtBalance('OPBD', s.opening, s.currency, s.openingDate) +
    camtBalance('CLBD', s.closing, s.closingCurrency ?? s.currency, s.closingDate)
  );
}

export const camtDocumentHead = (version = '08') =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.${version}">\n  <BkToCstmrStmt>\n    <GrpHdr><MsgId>TEST-${version}</MsgId><CreDtTm>2026-01-01T00:00:00Z</CreDtTm></GrpHdr>\n`;
export const CAMT_DOCUMENT_TAIL = '  </BkToCstmrStmt>\n</Document>\n';

/** A camt.053 file (version 001.`version`) of these statements. */
export function camt053(statements: GeneratedStatement[], { version = '08' }: { version?: string } = {}): string {
  let xml = camtDocumentHead(version);
  for (const s of statements) {
    xml += camtStatementHead({ ...s, closing: closingOf(s) });
    for (const e of s.entries) xml += camtEntry(e, s.currency, version);
    xml += '    </Stmt>\n';
  }
  return xml + CAMT_DOCUMENT_TAIL;
}

const yymmdd = (day: string) => day.slice(2).replace(/-/g, '');

function mtBalance(tag: string, amount: number, currency: string, date: string): string {
  return `:${tag}:${amount < 0 ? 'D' : 'C'}${yymmdd(date)}${currency}${decimal(amount, currency, ',')}\r\n`;
}

export function mtEntry(e: GeneratedEntry, currency: string): string {
  const entryDate = e.bookingDate ? e.bookingDate.slice(5).replace('-', '') : '';
  const ref = e.endToEndId ?? 'NONREF';
  let text = `:61:${yymmdd(e.valueDate)}${entryDate}${e.direction === 'credit' ? 'C' : 'D'}${decimal(e.amount, e.currency ?? currency, ',')}NTRF${ref}${e.bankRef ? `//${e.bankRef}` : ''}\r\n`;
  if (e.text) {
    // :86: holds six lines of 65 characters.
    const lines = e.text.match(/.{1,65}/g)!.slice(0, 6);
    text += `:86:${lines.join('\r\n')}\r\n`;
  }
  return text;
}

export function mtStatementHead(s: Omit<GeneratedStatement, 'entries'>): string {
  return `:20:${s.id}\r\n:25:${s.account}\r\n:28C:${s.sequence ?? '1/1'}\r\n` + mtBalance('60F', s.opening, s.currency, s.openingDate);
}

export const mtStatementTail = (s: Omit<GeneratedStatement, 'entries'> & { closing: number }) => mtBalance('62F', s.closing, s.closingCurrency ?? s.currency, s.closingDate) + mtBalance('64', s.closing, s.closingCurrency ?? s.currency, s.closingDate);

/** An MT940 file of these statements, each in a FIN envelope ({1:}{2:}{4: … -}) or separated by a line `-`. */
export function mt940(statements: GeneratedStatement[], { envelope = false }: { envelope?: boolean } = {}): string {
  let text = '';
  for (const s of statements) {
    if (envelope) text += '{1:F01PALSPS22AXXX0000000000}{2:O9400000260101PALSPS22AXXX00000000002601010000N}{4:\r\n';
    text += mtStatementHead(s);
    for (const e of s.entries) text += mtEntry(e, s.currency);
    text += mtStatementTail({ ...s, closing: closingOf(s) });
    text += envelope ? '-}{5:{CHK:0123456789AB}}\r\n' : '-\r\n';
  }
  return text;
}
