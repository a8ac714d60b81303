import { SaxesParser, type SaxesTagPlain } from 'saxes';
import {
  isCalendarDate,
  isCurrencyCode,
  parseMinorUnits,
  StatementFormatError,
  type Balance,
  type EntryStatus,
  type FilePosition,
  type StatementEntry,
  type StatementEvent,
  type StatementHeader,
} from './statement-model.js';
import { decodeXml, type StatementSource } from './text-stream.js';

/**
 * ISO 20022 camt.053 (BankToCustomerStatement), any version `001.NN`: the namespace
 * `urn:iso:std:iso:20022:tech:xsd:camt.053.001.NN` (001.02 to 001.13 are in use; the elements
 * read here have kept their names and places since 001.02), read with saxes as the text arrives:
 * only the open elements are held, never the tree.
 *
 * The `Document` may be the root or sit inside an envelope (a SWIFT MX business message: AppHdr
 * and Document); anything outside it is skipped. Read per `Stmt`: `Id`, `ElctrncSeqNb`/`LglSeqNb`,
 * `CreDtTm`, `FrToDt`, `Acct/Id/IBAN` or `Acct/Id/Othr/Id` and `Acct/Ccy`, each `Bal` (type
 * `OPBD`, else `PRCD`, is the opening balance; `CLBD` the closing; `CLAV` the closing available),
 * and per `Ntry`: `Amt` with its `Ccy`, `CdtDbtInd`, `RvslInd`, `Sts` (`BOOK`, `PDNG`, `INFO`; as
 * text up to 001.05, as `Sts/Cd` from 001.06), `BookgDt` and `ValDt` (`Dt`, or the day of
 * `DtTm`), `AcctSvcrRef`, `NtryRef`, `BkTxCd` (`Domn/Fmly/SubFmlyCd`, else `Prtry/Cd`),
 * `AddtlNtryInf`, and from its `NtryDtls/TxDtls`: `Refs/EndToEndId`, `RmtInf/Ustrd` and
 * `RmtInf/Strd/CdtrRefInf/Ref`, `AddtlTxInf`. A DOCTYPE is refused (no entity is ever expanded).
 * Errors name the line and the element's path.
 */
export async function* parseCamt053(source: StatementSource): AsyncGenerator<StatementEvent> {
  const reader = new Camt053Reader();
  for await (const text of decodeXml(source)) {
    reader.push(text);
    yield* reader.take();
  }
  reader.finish();
  yield* reader.take();
}

const NAMESPACE = /^urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.(\d{2})$/;
const ANY_ISO20022 = /^urn:iso:std:iso:20022:tech:xsd:([a-z]{4}\.\d{3}\.\d{3}\.\d{2})$/;
/** The most text one element may hold, and the most remittance text kept per entry: memory stays flat whatever the file. */
const MAX_TEXT = 100_000;
const MAX_KEPT = 4_000;

/** Elements counted among their siblings in error paths (Stmt[2]/Ntry[15]). */
const COUNTED = new Set(['Stmt', 'Bal', 'Ntry', 'TxDtls']);

interface Frame {
  local: string;
  /** Among same-named siblings, for COUNTED elements; 0 otherwise. */
  index: number;
  text: string;
  hasChild: boolean;
  line: number;
  /** The Ccy attribute of an Amt. */
  currency: string | undefined;
  /** How many COUNTED children of each name it has had. */
  counts: Map<string, number> | undefined;
  /** Outside the Document only: the namespaces it declares (xmlns, xmlns:prefix). */
  namespaces: Record<string, string> | undefined;
}

interface BalanceDraft {
  type: string | null;
  amount: string | null;
  currency: string | undefined;
  sign: string | null;
  signAt: FilePosition | null;
  date: string | null;
  at: FilePosition;
  amountAt: FilePosition | null;
}

interface EntryDraft {
  amount: string | null;
  currency: string | undefined;
  amountAt: FilePosition | null;
  sign: string | null;
  signAt: FilePosition | null;
  reversal: boolean;
  status: string | null;
  bookingDate: string | null;
  valueDate: string | null;
  accountServicerRef: string | null;
  txAccountServicerRef: string | null;
  entryRef: string | null;
  endToEndId: string | null;
  domain: string | null;
  family: string | null;
  subFamily: string | null;
  proprietary: string | null;
  remittance: string;
  additional: string;
  at: FilePosition;
}

interface StatementDraft {
  index: number;
  id: string | null;
  electronicSequence: string | null;
  legalSequence: string | null;
  createdAt: string | null;
  fromDate: string | null;
  toDate: string | null;
  iban: string | null;
  other: string | null;
  accountCurrency: string | null;
  accountAt: FilePosition | null;
  opening: Balance | null;
  previousClosing: Balance | null;
  closing: Balance | null;
  closingAvailable: Balance | null;
  headerSent: boolean;
  entries: number;
  at: FilePosition;
}

class Camt053Reader {
  // Namespaces are resolved here, for the Document alone: saxes's own resolution costs a quarter of its time.
  private readonly parser = new SaxesParser<{ position: true; xmlns: false }>({ position: true, xmlns: false });
  /** The open elements, frames[0] to frames[depth - 1]; frames are reused, so that a million entries allocate none. */
  private readonly frames: Frame[] = [];
  private depth = 0;
  /** The Document element's depth in the stack, once found. */
  private documentDepth = -1;
  private version: string | null = null;
  private documentDone = false;
  private groupCreatedAt: string | null = null;
  private statements = 0;
  private statement: StatementDraft | null = null;
  private balance: BalanceDraft | null = null;
  private entry: EntryDraft | null = null;
  private out: StatementEvent[] = [];

  constructor() {
    const parser = this.parser;
    parser.on('error', (error) => {
      throw new StatementFormatError(`the XML is not well formed: ${error.message.replace(/^\d+:\d+: /, '').replace(/\.$/, '')}`, this.position());
    });
    parser.on('doctype', () => {
      throw new StatementFormatError('a DOCTYPE is not accepted in a bank statement', this.position());
    });
    parser.on('opentag', (tag) => this.open(tag));
    parser.on('text', (text) => this.text(text));
    parser.on('cdata', (text) => this.text(text));
    parser.on('closetag', () => this.close());
  }

  push(text: string): void {
    this.parser.write(text);
  }

  finish(): void {
    // close() starts the parser afresh: the last line is read before.
    const line = this.parser.line;
    this.parser.close();
    if (this.documentDepth < 0 && !this.documentDone) throw new StatementFormatError(`the file holds no camt.053 Document (an element Document in the namespace urn:iso:std:iso:20022:tech:xsd:camt.053.001.NN)`, { line });
    if (this.statements === 0) throw new StatementFormatError('the camt.053 Document holds no statement (Stmt)', { line, path: '/Document/BkToCstmrStmt' });
  }

  take(): StatementEvent[] {
    const events = this.out;
    this.out = [];
    return events;
  }

  /** Where the parser is: the line, and the path of the open elements from the Document. */
  private position(extra?: string): FilePosition {
    const from = this.documentDepth >= 0 ? this.documentDepth : 0;
    const names: string[] = [];
    for (let i = from; i < this.depth; i++) {
      const f = this.frames[i]!;
      names.push(COUNTED.has(f.local) ? `${f.local}[${f.index}]` : f.local);
    }
    if (extra) names.push(extra);
    return names.length > 0 ? { line: this.parser.line, path: `/${names.join('/')}` } : { line: this.parser.line };
  }

  private fail(message: string, at: FilePosition = this.position()): never {
    throw new StatementFormatError(message, at);
  }

  private name(up: number): string | undefined {
    return this.depth - 1 - up >= 0 ? this.frames[this.depth - 1 - up]!.local : undefined;
  }

  /** The namespace a prefix ('' for the default) is bound to, from the open elements outside the Document. */
  private namespaceOf(prefix: string): string {
    const key = prefix ? `xmlns:${prefix}` : 'xmlns';
    for (let i = this.depth - 1; i >= 0; i--) {
      const uri = this.frames[i]!.namespaces?.[key];
      if (uri !== undefined) return uri;
    }
    return '';
  }

  private open(tag: SaxesTagPlain): void {
    const parent = this.depth > 0 ? this.frames[this.depth - 1] : undefined;
    const colon = tag.name.indexOf(':');
    const local = colon < 0 ? tag.name : tag.name.slice(colon + 1);
    let namespaces: Record<string, string> | undefined;
    if (this.documentDepth < 0) {
      for (const [name, value] of Object.entries(tag.attributes)) {
        if (name === 'xmlns' || name.startsWith('xmlns:')) (namespaces ??= {})[name] = value;
      }
    }
    const index = this.counted(parent, local);
    this.pushFrame(local, index, local === 'Amt' ? tag.attributes.Ccy : undefined, namespaces);
    if (this.documentDepth < 0) {
      if (local !== 'Document') return;
      const uri = this.namespaceOf(colon < 0 ? '' : tag.name.slice(0, colon));
      const version = NAMESPACE.exec(uri);
      if (!version) {
        const other = ANY_ISO20022.exec(uri)?.[1];
        const why = other ? `the document is ${other}, not a camt.053 bank statement (camt.053.001.NN)` : uri ? `the Document's namespace "${uri}" is not camt.053's (urn:iso:std:iso:20022:tech:xsd:camt.053.001.NN)` : "the Document has no namespace: a camt.053 statement's is urn:iso:std:iso:20022:tech:xsd:camt.053.001.NN";
        this.fail(why, { line: this.parser.line, path: '/Document' });
      }
      if (this.documentDone) this.fail('the file holds a second camt.053 Document', { line: this.parser.line, path: '/Document' });
      this.version = `001.${version[1]}`;
      this.documentDepth = this.depth - 1;
      return;
    }

    const up1 = this.name(1);
    if (local === 'Stmt' && up1 === 'BkToCstmrStmt') this.startStatement();
    else if (this.statement && up1 === 'Stmt') {
      if (local === 'Bal') this.balance = { type: null, amount: null, currency: undefined, sign: null, signAt: null, date: null, at: this.position(), amountAt: null };
      else if (local === 'Ntry') this.startEntry();
      else if (local === 'Acct') this.statement.accountAt = this.position();
    }
  }

  /** The element's place among its parent's same-named children (for COUNTED ones), and the parent marked as having children. */
  private counted(parent: Frame | undefined, local: string): number {
    if (!parent) return 0;
    if (!parent.hasChild) {
      parent.hasChild = true;
      parent.text = '';
    }
    if (!COUNTED.has(local)) return 0;
    parent.counts ??= new Map();
    const index = (parent.counts.get(local) ?? 0) + 1;
    parent.counts.set(local, index);
    return index;
  }

  private pushFrame(local: string, index: number, currency: string | undefined, namespaces: Record<string, string> | undefined): Frame {
    let frame = this.frames[this.depth];
    if (frame) {
      frame.local = local;
      frame.index = index;
      frame.text = '';
      frame.hasChild = false;
      frame.line = this.parser.line;
      frame.currency = currency;
      frame.counts?.clear();
      frame.namespaces = namespaces;
    } else {
      frame = { local, index, text: '', hasChild: false, line: this.parser.line, currency, counts: undefined, namespaces };
      this.frames[this.depth] = frame;
    }
    this.depth++;
    return frame;
  }

  private text(text: string): void {
    const frame = this.depth > 0 ? this.frames[this.depth - 1] : undefined;
    if (!frame || frame.hasChild || this.documentDepth < 0) return;
    frame.text += text;
    if (frame.text.length > MAX_TEXT) this.fail(`the element holds more than ${MAX_TEXT} characters of text`);
  }

  private close(): void {
    const frame = this.frames[this.depth - 1]!;
    if (this.documentDepth >= 0) {
      const value = frame.hasChild ? '' : frame.text.trim();
      try {
        this.element(frame, value);
      } catch (error) {
        this.depth--;
        throw error;
      }
    }
    this.depth--;
    if (this.depth === this.documentDepth) {
      this.documentDepth = -1;
      this.documentDone = true;
    }
  }

  private startStatement(): void {
    this.statements++;
    this.statement = {
      index: this.statements,
      id: null,
      electronicSequence: null,
      legalSequence: null,
      createdAt: null,
      fromDate: null,
      toDate: null,
      iban: null,
      other: null,
      accountCurrency: null,
      accountAt: null,
      opening: null,
      previousClosing: null,
      closing: null,
      closingAvailable: null,
      headerSent: false,
      entries: 0,
      at: this.position(),
    };
  }

  private startEntry(): void {
    this.sendHeader();
    this.entry = {
      amount: null,
      currency: undefined,
      amountAt: null,
      sign: null,
      signAt: null,
      reversal: false,
      status: null,
      bookingDate: null,
      valueDate: null,
      accountServicerRef: null,
      txAccountServicerRef: null,
      entryRef: null,
      endToEndId: null,
      domain: null,
      family: null,
      subFamily: null,
      proprietary: null,
      remittance: '',
      additional: '',
      at: this.position(),
    };
  }

  /** YYYY-MM-DD of an ISODate or the day of an ISODateTime, as written (the bank's own day). */
  private day(value: string): string {
    const date = value.slice(0, 10);
    if (!isCalendarDate(date) || (value.length > 10 && value[10] !== 'T')) this.fail(`"${value}" is not a date (YYYY-MM-DD) or a date-time`);
    return date;
  }

  private amount(text: string | null, currency: string | undefined, at: FilePosition | null, what: string): number {
    if (text === null || at === null) this.fail(`the ${what} has no Amt`);
    if (!currency) this.fail(`the ${what}'s Amt has no Ccy attribute`, at);
    if (!isCurrencyCode(currency)) this.fail(`the ${what}'s currency "${currency}" is not an ISO 4217 code`, at);
    const amount = parseMinorUnits(text, currency, '.');
    if (typeof amount === 'string') this.fail(`the ${what}'s Amt: ${amount}`, at);
    return amount;
  }

  private sign(value: string | null, at: FilePosition | null, what: string): 1 | -1 {
    if (value === 'CRDT') return 1;
    if (value === 'DBIT') return -1;
    this.fail(value === null ? `the ${what} has no CdtDbtInd` : `the ${what}'s CdtDbtInd "${value}" is neither CRDT nor DBIT`, at ?? this.position());
  }

  private keep(current: string, value: string): string {
    if (!value || current.length >= MAX_KEPT) return current;
    const joined = current ? `${current}\n${value}` : value;
    return joined.length > MAX_KEPT ? `${joined.slice(0, MAX_KEPT - 1)}…` : joined;
  }

  private element(frame: Frame, value: string): void {
    const local = frame.local;
    const up1 = this.name(1);
    const up2 = this.name(2);
    const up3 = this.name(3);
    const statement = this.statement;
    const balance = this.balance;
    const entry = this.entry;

    if (local === 'CreDtTm' && up1 === 'GrpHdr') this.groupCreatedAt = value;
    if (!statement) return;

    if (entry) {
      switch (local) {
        case 'Ntry':
          if (up1 === 'Stmt') this.endEntry(entry);
          return;
        case 'Amt':
          if (up1 === 'Ntry') {
            entry.amount = value;
            entry.currency = frame.currency;
            entry.amountAt = { line: this.parser.line, path: `${entry.at.path}/Amt` };
          }
          return;
        case 'CdtDbtInd':
          if (up1 === 'Ntry') {
            entry.sign = value;
            entry.signAt = { line: this.parser.line, path: `${entry.at.path}/CdtDbtInd` };
          }
          return;
        case 'RvslInd':
          if (up1 === 'Ntry') entry.reversal = value === 'true' || value === '1';
          return;
        case 'Sts':
          if (up1 === 'Ntry' && !frame.hasChild) entry.status = value;
          return;
        case 'Cd':
          if (up1 === 'Sts' && up2 === 'Ntry') entry.status = value;
          else if (up1 === 'Domn' && up2 === 'BkTxCd' && up3 === 'Ntry') entry.domain = value;
          else if (up1 === 'Fmly' && up2 === 'Domn' && up3 === 'BkTxCd' && this.name(4) === 'Ntry') entry.family = value;
          else if (up1 === 'Prtry' && up2 === 'BkTxCd' && up3 === 'Ntry') entry.proprietary = value;
          return;
        case 'SubFmlyCd':
          if (up1 === 'Fmly' && up3 === 'BkTxCd' && this.name(4) === 'Ntry') entry.subFamily = value;
          return;
        case 'Dt':
        case 'DtTm':
          if (up2 === 'Ntry' && up1 === 'BookgDt') entry.bookingDate = this.day(value);
          else if (up2 === 'Ntry' && up1 === 'ValDt') entry.valueDate = this.day(value);
          return;
        case 'AcctSvcrRef':
          if (up1 === 'Ntry') entry.accountServicerRef = value || null;
          else if (up1 === 'Refs') entry.txAccountServicerRef ??= value || null;
          return;
        case 'NtryRef':
          if (up1 === 'Ntry') entry.entryRef = value || null;
          return;
        case 'EndToEndId':
          if (up1 === 'Refs' && value && value !== 'NOTPROVIDED') entry.endToEndId ??= value;
          return;
        case 'Ustrd':
          if (up1 === 'RmtInf') entry.remittance = this.keep(entry.remittance, value);
          return;
        case 'Ref':
          if (up1 === 'CdtrRefInf') entry.remittance = this.keep(entry.remittance, value);
          return;
        case 'AddtlTxInf':
          if (up1 === 'TxDtls') entry.additional = this.keep(entry.additional, value);
          return;
        case 'AddtlNtryInf':
          if (up1 === 'Ntry') entry.additional = this.keep(entry.additional, value);
          return;
        default:
          return;
      }
    }

    if (balance) {
      switch (local) {
        case 'Bal':
          if (up1 === 'Stmt') this.endBalance(statement, balance);
          return;
        case 'Cd':
        case 'Prtry':
          if (up1 === 'CdOrPrtry' && up2 === 'Tp' && up3 === 'Bal' && !frame.hasChild) balance.type ??= value;
          return;
        case 'Amt':
          if (up1 === 'Bal') {
            balance.amount = value;
            balance.currency = frame.currency;
            balance.amountAt = this.position();
          }
          return;
        case 'CdtDbtInd':
          if (up1 === 'Bal') {
            balance.sign = value;
            balance.signAt = this.position();
          }
          return;
        case 'Dt':
        case 'DtTm':
          if (up1 === 'Dt' && up2 === 'Bal') balance.date = this.day(value);
          return;
        default:
          return;
      }
    }

    switch (local) {
      case 'Stmt':
        if (up1 === 'BkToCstmrStmt') this.endStatement(statement);
        return;
      case 'Id':
        if (up1 === 'Stmt') statement.id = value;
        else if (up1 === 'Othr' && up2 === 'Id' && up3 === 'Acct' && this.name(4) === 'Stmt') statement.other ??= value;
        return;
      case 'IBAN':
        if (up1 === 'Id' && up2 === 'Acct' && up3 === 'Stmt') statement.iban = value.replace(/\s/g, '').toUpperCase();
        return;
      case 'Ccy':
        if (up1 === 'Acct' && up2 === 'Stmt') statement.accountCurrency = value;
        return;
      case 'ElctrncSeqNb':
        if (up1 === 'Stmt') statement.electronicSequence = value;
        return;
      case 'LglSeqNb':
        if (up1 === 'Stmt') statement.legalSequence = value;
        return;
      case 'CreDtTm':
        if (up1 === 'Stmt') statement.createdAt = value;
        return;
      case 'FrDtTm':
        if (up1 === 'FrToDt' && up2 === 'Stmt') statement.fromDate = this.day(value);
        return;
      case 'ToDtTm':
        if (up1 === 'FrToDt' && up2 === 'Stmt') statement.toDate = this.day(value);
        return;
      default:
        return;
    }
  }

  private endBalance(statement: StatementDraft, draft: BalanceDraft): void {
    this.balance = null;
    const amount = this.amount(draft.amount, draft.currency, draft.amountAt, `balance (${draft.type ?? 'no type'})`);
    const sign = this.sign(draft.sign, draft.signAt, `balance (${draft.type ?? 'no type'})`);
    const balance: Balance = { amount: sign * amount, currency: draft.currency!, date: draft.date, at: draft.amountAt ?? draft.at };
    switch (draft.type) {
      case 'OPBD':
        statement.opening ??= balance;
        break;
      case 'PRCD':
        statement.previousClosing ??= balance;
        break;
      case 'CLBD':
        statement.closing ??= balance;
        break;
      case 'CLAV':
        statement.closingAvailable ??= balance;
        break;
      default:
        break;
    }
  }

  private endEntry(draft: EntryDraft): void {
    const statement = this.statement!;
    this.entry = null;
    const amount = this.amount(draft.amount, draft.currency, draft.amountAt, 'entry');
    const sign = this.sign(draft.sign, draft.signAt, 'entry');
    const status: EntryStatus | undefined = draft.status === null || draft.status === 'BOOK' ? 'booked' : draft.status === 'PDNG' ? 'pending' : draft.status === 'INFO' ? 'info' : undefined;
    if (!status) this.fail(`the entry's status (Sts) "${draft.status}" is none of BOOK, PDNG, INFO`, draft.at);
    statement.entries++;
    const code = draft.domain ? [draft.domain, draft.family, draft.subFamily].filter(Boolean).join('/') : draft.proprietary;
    const entry: StatementEntry = {
      index: statement.entries,
      amount,
      currency: draft.currency!,
      direction: sign === 1 ? 'credit' : 'debit',
      status,
      reversal: draft.reversal,
      bookingDate: draft.bookingDate,
      valueDate: draft.valueDate ?? draft.bookingDate,
      endToEndId: draft.endToEndId,
      accountServicerRef: draft.accountServicerRef ?? draft.txAccountServicerRef,
      customerRef: draft.entryRef,
      remittanceInfo: draft.remittance || null,
      additionalInfo: draft.additional || null,
      bankTransactionCode: code ?? null,
      at: draft.at,
    };
    this.out.push({ kind: 'entry', entry });
  }

  private sendHeader(): void {
    const statement = this.statement!;
    if (statement.headerSent) return;
    statement.headerSent = true;
    if (!statement.id) this.fail('the statement has no Id', statement.at);
    if (!statement.iban && !statement.other) this.fail('the statement names no account (Acct/Id/IBAN or Acct/Id/Othr/Id)', statement.accountAt ?? statement.at);
    const opening = statement.opening ?? statement.previousClosing;
    const header: StatementHeader = {
      format: 'camt.053',
      formatVersion: this.version,
      index: statement.index,
      statementId: statement.id,
      sequence: statement.electronicSequence ?? statement.legalSequence,
      account: { iban: statement.iban, other: statement.iban ? null : statement.other, currency: statement.accountCurrency, at: statement.accountAt ?? statement.at },
      createdAt: statement.createdAt ?? this.groupCreatedAt,
      fromDate: statement.fromDate ?? opening?.date ?? null,
      toDate: statement.toDate ?? statement.closing?.date ?? null,
      opening,
      at: statement.at,
    };
    this.out.push({ kind: 'statement', header });
  }

  private endStatement(statement: StatementDraft): void {
    this.sendHeader();
    this.statement = null;
    this.out.push({ kind: 'end', end: { closing: statement.closing, closingAvailable: statement.closingAvailable, at: statement.closing?.at ?? this.position() } });
  }
}
