/**
 * The common model of a bank statement, whatever the file it came in (ISO 20022 camt.053 or SWIFT
 * MT940). A parser reads a file as a stream and yields, for each statement in it, one `statement`
 * event (its header: account, ids, dates, opening balance), then one `entry` event per entry as
 * the entry is read, then one `end` event (the closing balance): nothing is collected, so memory
 * does not grow with the file.
 *
 * Amounts are integers of the currency's minor unit, parsed from the file's decimal text digit by
 * digit (never through a float). A balance is signed (credit positive, debit negative, as the bank
 * sees the account); an entry's amount is not, its `direction` says which way it went.
 */

export type StatementFormat = 'camt.053' | 'mt940';

/** Where something is in the file: the line (1-based), and for XML the element's path. */
export interface FilePosition {
  line: number;
  /** camt.053 only: e.g. /Document/BkToCstmrStmt/Stmt[1]/Ntry[3]/Amt. */
  path?: string;
  /** MT940 only: the field's tag, e.g. :61:. */
  field?: string;
}

export interface Balance {
  /** Signed minor units: a credit balance is positive, a debit (overdrawn) one negative. */
  amount: number;
  currency: string;
  /** YYYY-MM-DD; null when the file gives none. */
  date: string | null;
  at: FilePosition;
}

export interface StatementAccount {
  iban: string | null;
  /** Another identifier (camt Othr/Id; MT940 :25: when it is not an IBAN). */
  other: string | null;
  /** The account's currency when the file states it apart from the amounts (camt Acct/Ccy). */
  currency: string | null;
  at: FilePosition;
}

export interface StatementHeader {
  format: StatementFormat;
  /** camt.053's message version, e.g. 001.08; null for MT940. */
  formatVersion: string | null;
  /** The statement's position in the file, from 1. */
  index: number;
  /** camt Stmt/Id; MT940 :20:. */
  statementId: string;
  /** camt ElctrncSeqNb (else LglSeqNb); MT940 :28C: as written (statement/sequence number). */
  sequence: string | null;
  account: StatementAccount;
  /** When the bank made it (camt CreDtTm, ISO 8601 as written); null for MT940. */
  createdAt: string | null;
  /** The period (YYYY-MM-DD): camt FrToDt, else the balances' dates. */
  fromDate: string | null;
  toDate: string | null;
  opening: Balance | null;
  at: FilePosition;
}

export type EntryDirection = 'credit' | 'debit';
/** booked entries make the balance; pending and info ones (camt PDNG, INFO) do not. */
export type EntryStatus = 'booked' | 'pending' | 'info';

export interface StatementEntry {
  /** Its position in the statement, from 1. */
  index: number;
  /** Minor units, zero or more. */
  amount: number;
  currency: string;
  direction: EntryDirection;
  status: EntryStatus;
  /** The entry reverses an earlier one (camt RvslInd; MT940 RC/RD): `direction` is still its effect on the balance. */
  reversal: boolean;
  bookingDate: string | null;
  valueDate: string | null;
  /** camt Refs/EndToEndId (NOTPROVIDED left out). */
  endToEndId: string | null;
  /** camt AcctSvcrRef; MT940 the bank's reference (after //). */
  accountServicerRef: string | null;
  /** MT940 the reference for the account owner (NONREF left out); camt NtryRef. */
  customerRef: string | null;
  /** camt RmtInf (Ustrd lines, Strd creditor references); MT940 :86:. */
  remittanceInfo: string | null;
  /** camt AddtlNtryInf / AddtlTxInf; MT940 the :61: supplementary details (its second line). */
  additionalInfo: string | null;
  /** camt BkTxCd (Domn/Fmly/SubFmlyCd, else Prtry/Cd); MT940 the transaction type (e.g. NTRF). */
  bankTransactionCode: string | null;
  at: FilePosition;
}

export interface StatementEnd {
  closing: Balance | null;
  /** camt CLAV, MT940 :64: (informational). */
  closingAvailable: Balance | null;
  at: FilePosition;
}

export type StatementEvent =
  | { kind: 'statement'; header: StatementHeader }
  | { kind: 'entry'; entry: StatementEntry }
  | { kind: 'end'; end: StatementEnd };

/** The file cannot be read as a statement: not well formed, or a field that is not what it must be. Says where. */
export class StatementFormatError extends Error {
  override name = 'StatementFormatError';
  constructor(
    message: string,
    readonly at: FilePosition,
  ) {
    super(message);
  }
}

/** "line 12 (/Document/…/Amt)" or "line 7 (:61:)": how an error names a place in the file. */
export function describePosition(at: FilePosition): string {
  const where = at.path ?? at.field;
  return where ? `line ${at.line} (${where})` : `line ${at.line}`;
}

/**
 * ISO 4217 minor units for the currencies that do not have 2 (the rest, and historic codes such as
 * DEM, have 2). The treasury's own: ILS 2, USD 2, JOD 3.
 */
const EXPONENTS: Record<string, number> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
};

export const minorUnits = (currency: string): number => EXPONENTS[currency] ?? 2;

export const isCurrencyCode = (value: string): boolean => /^[A-Z]{3}$/.test(value);

/**
 * A decimal amount as written in a statement ("1234.56" in XML, "1234,56" in MT940) as an integer
 * of the currency's minor unit, exactly: the digits are shifted, never multiplied as a float. More
 * decimals than the currency has are accepted only when they are zeros (5.50000 EUR). Answers the
 * reason as a string when the text is not such an amount.
 */
export function parseMinorUnits(text: string, currency: string, separator: '.' | ','): number | string {
  const pattern = separator === '.' ? /^(\d+)(?:\.(\d*))?$/ : /^(\d+)(?:,(\d*))?$/;
  const match = pattern.exec(text);
  if (!match) return `"${text}" is not an amount (digits, with ${separator === '.' ? 'a point' : 'a comma'} before the decimals)`;
  const exponent = minorUnits(currency);
  const whole = match[1]!;
  const fraction = match[2] ?? '';
  const kept = fraction.slice(0, exponent);
  if (/[^0]/.test(fraction.slice(exponent))) return `"${text}" has more decimals than ${currency} has (${exponent})`;
  const digits = (whole + kept.padEnd(exponent, '0')).replace(/^0+(?=\d)/, '');
  const value = Number(digits);
  if (!Number.isSafeInteger(value)) return `"${text}" is too large an amount`;
  return value;
}

/** Minor units as the bank writes them, for messages: 1234567 ILS → "12345.67 ILS". */
export function formatMinor(amount: number | bigint, currency: string): string {
  const exponent = minorUnits(currency);
  const negative = amount < 0;
  const digits = (negative ? -BigInt(amount) : BigInt(amount)).toString().padStart(exponent + 1, '0');
  const text = exponent === 0 ? digits : `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
  return `${negative ? '-' : ''}${text} ${currency}`;
}

/** Whether YYYY-MM-DD names a day of the calendar (2013-02-30 does not). */
export function isCalendarDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
