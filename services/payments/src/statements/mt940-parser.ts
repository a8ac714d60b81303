import {
  isCalendarDate,
  parseMinorUnits,
  StatementFormatError,
  type Balance,
  type FilePosition,
  type StatementEntry,
  type StatementEvent,
  type StatementHeader,
} from './statement-model.js';
import { decodeText, type StatementSource } from './text-stream.js';

/**
 * SWIFT MT940 (customer statement message), read line by line as the text arrives.
 *
 * A file holds one or more statements, each with or without the FIN envelope
 * (`{1:…}{2:…}{3:…}{4:` … `-}` and `{5:…}`), separated by `-}`, a line `-`, or simply the next
 * `:20:`. Lines before a statement's `:20:` that are not fields (an envelope, a bank's own header
 * such as ING's `0000 01INGBNL2AXXXX00001` / `940 00`, ABN AMRO's `ABNANL2A` / `940`, a text
 * preamble) are skipped. Inside a statement a field starts with `:tag:` at the start of a line and
 * every following line that does not is its continuation (`:86:` takes six, `:61:` its
 * supplementary details); blank lines are skipped. Fields read:
 *
 * - `:20:` transaction reference (the statement id), `:25:` account, `:28:`/`:28C:` statement
 *   number[/sequence], `:60F:`/`:60M:` opening balance, `:62F:`/`:62M:` closing balance, `:64:`
 *   closing available balance, `:65:` forward available balance (read, not kept);
 * - `:61:` statement line: value date YYMMDD, optional entry date MMDD, C/D/RC/RD (RC, a reversed
 *   credit, is a debit; RD a credit), optional funds code (the currency's third letter), amount
 *   with a decimal comma, transaction type (N/F/S and three characters), reference for the
 *   account owner, `//` the bank's reference, and on the next line the supplementary details;
 * - `:86:` information to the account owner: the entry's when it follows a `:61:` (several
 *   `:86:` of one entry are joined), the statement's otherwise (not kept).
 *
 * Other fields (`:21:`, `:13D:`, `:NS:`...) are skipped. The entry's currency is the opening
 * balance's. Errors name the line and the field.
 */
export async function* parseMt940(source: StatementSource, { charset }: { charset?: string } = {}): AsyncGenerator<StatementEvent> {
  const reader = new Mt940Reader();
  for await (const text of decodeText(source, charset)) {
    reader.push(text);
    yield* reader.take();
  }
  reader.finish();
  yield* reader.take();
}

const TAG = /^:(\d{2}[A-Z]?|[A-Z]{2}):(.*)$/;
/** The longest line or field read (a :86: has 6 × 65 characters): anything longer is not MT940, and memory stays flat. */
const MAX_LINE = 10_000;
const MAX_FIELD_LINES = 200;
/** Fields that belong to a statement: one before its :20: means the :20: is missing. */
const STATEMENT_FIELDS = new Set(['25', '28', '28C', '60F', '60M', '61', '62F', '62M', '64', '65']);

interface Field {
  tag: string;
  lines: string[];
  line: number;
}

interface OpenStatement {
  reference: string;
  line: number;
  account: { value: string; at: FilePosition } | null;
  sequence: string | null;
  opening: Balance | null;
  closing: Balance | null;
  closingAvailable: Balance | null;
  headerSent: boolean;
  entries: number;
  /** The :61: read whose :86: may still follow. */
  pending: StatementEntry | null;
  lastTag: string;
}

class Mt940Reader {
  private partial = '';
  private lineNo = 0;
  private field: Field | null = null;
  private statement: OpenStatement | null = null;
  private statements = 0;
  private out: StatementEvent[] = [];

  push(text: string): void {
    let start = 0;
    const all = this.partial + text;
    this.partial = '';
    for (let i = 0; i < all.length; i++) {
      const c = all.charCodeAt(i);
      if (c === 10 || c === 13) {
        // A \r that ends the chunk may be followed by the \n that starts the next: wait for it.
        if (c === 13 && i === all.length - 1) break;
        this.line(all.slice(start, i));
        if (c === 13 && all.charCodeAt(i + 1) === 10) i++;
        start = i + 1;
      }
    }
    this.partial = all.slice(start);
    if (this.partial.length > MAX_LINE) this.fail(`line ${this.lineNo + 1} is longer than ${MAX_LINE} characters: this is not an MT940 statement`, { line: this.lineNo + 1 });
  }

  finish(): void {
    if (this.partial !== '') this.line(this.partial);
    this.partial = '';
    this.endStatement();
    if (this.statements === 0) this.fail('the file holds no MT940 statement (no :20: field)', { line: Math.max(this.lineNo, 1) });
  }

  take(): StatementEvent[] {
    const events = this.out;
    this.out = [];
    return events;
  }

  private fail(message: string, at: FilePosition): never {
    throw new StatementFormatError(message, at);
  }

  private line(raw: string): void {
    this.lineNo++;
    let text = raw.replace(/\r$/, '');
    // Outside a statement (and not right after its :20:): an envelope, a bank's header, a preamble.
    if (!this.statement && this.field?.tag !== '20') {
      const block4 = text.indexOf('{4:');
      if (block4 >= 0) text = text.slice(block4 + 3);
      const tag = TAG.exec(text);
      if (!tag) return;
      if (tag[1] !== '20') {
        if (STATEMENT_FIELDS.has(tag[1]!)) this.fail(`field :${tag[1]}: comes before the statement's :20: (transaction reference)`, { line: this.lineNo, field: `:${tag[1]}:` });
        return;
      }
    }
    if (text === '-' || text.startsWith('-}')) {
      this.endStatement();
      return;
    }
    const tag = TAG.exec(text);
    if (tag) {
      this.closeField();
      this.field = { tag: tag[1]!, lines: [tag[2]!], line: this.lineNo };
      return;
    }
    if (text.trim() === '' || text.startsWith('{5:')) return;
    if (!this.field) return;
    if (this.field.lines.length >= MAX_FIELD_LINES) this.fail(`field :${this.field.tag}: (line ${this.field.line}) runs over more than ${MAX_FIELD_LINES} lines`, { line: this.lineNo, field: `:${this.field.tag}:` });
    this.field.lines.push(text);
  }

  private closeField(): void {
    const field = this.field;
    if (!field) return;
    this.field = null;
    const at: FilePosition = { line: field.line, field: `:${field.tag}:` };
    const value = field.lines[0]!.trim();
    if (field.tag === '20') {
      this.endStatement();
      if (value === '') this.fail('the :20: transaction reference (the statement id) is empty', at);
      this.statement = { reference: value, line: field.line, account: null, sequence: null, opening: null, closing: null, closingAvailable: null, headerSent: false, entries: 0, pending: null, lastTag: '20' };
      this.statements++;
      return;
    }
    const statement = this.statement;
    if (!statement) return;
    if (field.tag !== '86') this.flushEntry(statement);
    switch (field.tag) {
      case '25':
        if (value === '') this.fail('the :25: account identification is empty', at);
        statement.account = { value, at };
        break;
      case '28':
      case '28C':
        if (!/^\d+(\/\d+)?$/.test(value)) this.fail(`the :${field.tag}: statement number "${value}" is not a number, or a number/sequence`, at);
        statement.sequence = value;
        break;
      case '60F':
      case '60M':
        if (statement.opening) this.fail(`the statement has a second opening balance (:${field.tag}:)`, at);
        statement.opening = this.balance(value, at);
        break;
      case '61':
        if (statement.closing) this.fail('a :61: statement line comes after the closing balance', at);
        this.sendHeader(statement, at);
        statement.pending = this.entry(statement, field, at);
        break;
      case '86':
        if (statement.pending && (statement.lastTag === '61' || statement.lastTag === '86')) {
          const text = field.lines.map((l) => l.trimEnd()).join('\n').trim();
          const pending = statement.pending;
          if (text) pending.remittanceInfo = pending.remittanceInfo ? `${pending.remittanceInfo}\n${text}` : text;
          // A :86: closes its entry unless another :86: follows (Danske Bank writes several).
          statement.lastTag = '86';
          return;
        }
        break;
      case '62F':
      case '62M':
        if (statement.closing) this.fail(`the statement has a second closing balance (:${field.tag}:)`, at);
        this.sendHeader(statement, at);
        statement.closing = this.balance(value, at);
        break;
      case '64':
        statement.closingAvailable = this.balance(value, at);
        break;
      case '65':
        this.balance(value, at);
        break;
      default:
        break;
    }
    statement.lastTag = field.tag;
  }

  private flushEntry(statement: OpenStatement): void {
    if (!statement.pending) return;
    this.out.push({ kind: 'entry', entry: statement.pending });
    statement.pending = null;
  }

  private sendHeader(statement: OpenStatement, at: FilePosition): void {
    if (statement.headerSent) return;
    if (!statement.account) this.fail(`the statement (:20: ${statement.reference}, line ${statement.line}) has no :25: account identification before ${at.field}`, at);
    if (!statement.opening) this.fail(`the statement (:20: ${statement.reference}, line ${statement.line}) has no :60F: opening balance before ${at.field}`, at);
    const account = statement.account.value;
    const iban = /^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(account.replace(/\s/g, '')) ? account.replace(/\s/g, '') : null;
    const header: StatementHeader = {
      format: 'mt940',
      formatVersion: null,
      index: this.statements,
      statementId: statement.reference,
      sequence: statement.sequence,
      account: { iban, other: iban ? null : account, currency: null, at: statement.account.at },
      createdAt: null,
      fromDate: statement.opening.date,
      toDate: null,
      opening: statement.opening,
      at: { line: statement.line, field: ':20:' },
    };
    statement.headerSent = true;
    this.out.push({ kind: 'statement', header });
  }

  private endStatement(): void {
    this.closeField();
    const statement = this.statement;
    if (!statement) return;
    this.flushEntry(statement);
    const at: FilePosition = { line: this.lineNo, field: ':62F:' };
    if (!statement.closing) this.fail(`the statement (:20: ${statement.reference}, line ${statement.line}) ends at line ${this.lineNo} without a :62F: closing balance`, at);
    this.sendHeader(statement, at);
    this.out.push({ kind: 'end', end: { closing: statement.closing, closingAvailable: statement.closingAvailable, at: statement.closing.at } });
    this.statement = null;
  }

  /** :60F:, :62F:, :64:, :65: — C or D, YYMMDD, currency, amount. */
  private balance(value: string, at: FilePosition): Balance {
    const match = /^([CD])(\d{6})([A-Z]{3})(\d[\d,]*)$/.exec(value);
    if (!match) this.fail(`the balance ${at.field} "${value}" is not C or D, a date YYMMDD, a currency and an amount (e.g. C260105ILS1234,56)`, at);
    const [, mark, day, currency, amountText] = match;
    const amount = parseMinorUnits(amountText!, currency!, ',');
    if (typeof amount === 'string') this.fail(`the amount of ${at.field} ${amount}`, at);
    return { amount: mark === 'D' ? -amount : amount, currency: currency!, date: this.date(day!, at), at };
  }

  private date(yymmdd: string, at: FilePosition, what = 'date'): string {
    const yy = Number(yymmdd.slice(0, 2));
    const date = `${yy >= 70 ? 1900 + yy : 2000 + yy}-${yymmdd.slice(2, 4)}-${yymmdd.slice(4, 6)}`;
    if (!isCalendarDate(date)) this.fail(`the ${what} ${yymmdd} in ${at.field} is not a day of the calendar`, at);
    return date;
  }

  /** A :61: statement line. */
  private entry(statement: OpenStatement, field: Field, at: FilePosition): StatementEntry {
    const first = field.lines[0]!.trim();
    const match = /^(\d{6})(\d{4})?(RC|RD|C|D)([A-Z])?(\d[\d,]*)([A-Z][A-Z0-9]{3})(.*)$/.exec(first);
    if (!match) {
      this.fail(`the statement line :61: "${first}" is not a value date YYMMDD, an optional entry date MMDD, C, D, RC or RD, an optional funds code, an amount and a transaction type (e.g. 2601050105C1500,00NTRFNONREF//B1)`, at);
    }
    const [, valueDay, entryDay, mark, , amountText, type, rest] = match;
    const currency = statement.opening!.currency;
    const amount = parseMinorUnits(amountText!, currency, ',');
    if (typeof amount === 'string') this.fail(`the amount of :61: ${amount}`, at);
    const valueDate = this.date(valueDay!, at, 'value date');
    let bookingDate = valueDate;
    if (entryDay) {
      // The entry date has no year: the value date's, or the next or previous one across a new year.
      let year = Number(valueDate.slice(0, 4));
      const valueMonth = Number(valueDate.slice(5, 7));
      const entryMonth = Number(entryDay.slice(0, 2));
      if (valueMonth === 12 && entryMonth === 1) year++;
      else if (valueMonth === 1 && entryMonth === 12) year--;
      bookingDate = `${year}-${entryDay.slice(0, 2)}-${entryDay.slice(2, 4)}`;
      if (!isCalendarDate(bookingDate)) this.fail(`the entry date ${entryDay} in :61: is not a day of the calendar`, at);
    }
    const references = rest!;
    const split = references.indexOf('//');
    const customer = (split >= 0 ? references.slice(0, split) : references).trim();
    const bank = split >= 0 ? references.slice(split + 2).trim() : '';
    const details = field.lines.slice(1).map((l) => l.trim()).filter(Boolean).join('\n');
    statement.entries++;
    return {
      index: statement.entries,
      amount,
      currency,
      // RC (reversal of a credit) takes money out; RD (reversal of a debit) puts it back.
      direction: mark === 'C' || mark === 'RD' ? 'credit' : 'debit',
      status: 'booked',
      reversal: mark!.startsWith('R'),
      bookingDate,
      valueDate,
      endToEndId: null,
      accountServicerRef: bank || null,
      customerRef: customer && customer !== 'NONREF' ? customer : null,
      remittanceInfo: null,
      additionalInfo: details || null,
      bankTransactionCode: type!,
      at,
    };
  }
}

