import type { Knex } from '@tamkeen/db';
import {
  callerOf,
  Conflict,
  cursorParam,
  Forbidden,
  NotFound,
  pageOf,
  PayloadTooLarge,
  requireScope,
  resource,
  UnprocessableContent,
  UnsupportedMediaType,
  validate,
  type AccessTokenVerifier,
} from '@tamkeen/http-kit';
import type { IRouter, Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import { PLATFORM_ORGANISATION_ID } from '../ledger/ledger-routes.js';
import { parseCamt053 } from './camt053-parser.js';
import { parseMt940 } from './mt940-parser.js';
import type { MatchingOutcome } from './payout-matching.js';
import type { MatchingRules, TreasuryAccount } from './statement-config.js';
import { importStatements, StatementConflict, StatementRejected } from './statement-import.js';
import { describePosition, StatementFormatError, type FilePosition, type StatementFormat } from './statement-model.js';
import { statementRepository, type BankStatement, type BankStatementEntry, type MatchView } from './statement-repository.js';

export interface StatementRoutesDeps {
  knex: Knex;
  verify: AccessTokenVerifier;
  accounts: readonly TreasuryAccount[];
  rules: MatchingRules;
  /** The largest file taken, in bytes. */
  maxBytes: number;
  platformOrganisationId?: string;
}

export const STATEMENTS_PATH = '/payments/v1/reconciliation/statements';

/** The media types a statement is sent as, and the format each means. */
function formatOf(contentType: string | undefined): { format: StatementFormat; charset: string | undefined } {
  const [media = '', ...parameters] = (contentType ?? '').toLowerCase().split(';').map((p) => p.trim());
  const charset = parameters.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/^"|"$/g, '');
  if (media === 'application/xml' || media === 'text/xml' || /^application\/[a-z0-9.+-]*\+xml$/.test(media)) return { format: 'camt.053', charset };
  if (media === 'text/plain' || media === 'application/x-swift-mt940') return { format: 'mt940', charset };
  throw new UnsupportedMediaType(`Send a camt.053 statement as application/xml, or an MT940 statement as text/plain (with its charset if not UTF-8), as the request body; not ${media || 'a body without Content-Type'}.`);
}

/** The request body as it arrives, at most `maxBytes`; the stream is left open when the reader stops early, so the answer can still be sent. */
async function* bodyOf(req: Request, maxBytes: number): AsyncGenerator<Uint8Array> {
  let total = 0;
  for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) throw new PayloadTooLarge(`A statement file may be at most ${maxBytes} bytes.`);
    yield chunk;
  }
}

const positionOf = (at: FilePosition) => ({ line: at.line, ...(at.path ? { element: at.path } : {}), ...(at.field ? { field: at.field } : {}) });

/** How an import's failure is answered: which line, which element or field, why. Nothing was stored. */
function answerOf(error: unknown): unknown {
  if (error instanceof StatementFormatError) {
    return new UnprocessableContent(`The file is not a statement that can be read: ${describePosition(error.at)}: ${error.message}. Nothing was imported.`, { code: 'invalid_statement', extensions: positionOf(error.at) });
  }
  if (error instanceof StatementRejected) {
    return new UnprocessableContent(`Statement ${error.statementIndex} of the file is refused: ${describePosition(error.at)}: ${error.reason}. Nothing was imported.`, {
      code: 'statement_rejected',
      extensions: { ...positionOf(error.at), statement: error.statementIndex },
    });
  }
  if (error instanceof StatementConflict) {
    return new Conflict(`${error.message}. Nothing was imported.`, { code: 'statement_conflict', extensions: { statement: error.statementIndex, existing_statement_id: error.existingId } });
  }
  return error;
}

export const statementView = (s: BankStatement) => ({
  id: s.id,
  format: s.format,
  format_version: s.formatVersion,
  account: s.account,
  account_name: s.accountName,
  currency: s.currency,
  statement_id: s.statementId,
  sequence: s.sequence === '' ? null : s.sequence,
  bank_created_at: s.bankCreatedAt,
  from_date: s.fromDate,
  to_date: s.toDate,
  opening_balance: { amount: s.openingBalance, date: s.openingDate },
  closing_balance: { amount: s.closingBalance!, date: s.closingDate },
  entry_count: s.entryCount,
  credit_count: s.creditCount,
  credit_total: s.creditTotal,
  debit_count: s.debitCount,
  debit_total: s.debitTotal,
  content_hash: s.contentHash!,
  imported_by: s.importedBy,
  imported_at: s.importedAt.toISOString(),
});

const matchView = (m: Pick<MatchView, 'id' | 'rule' | 'shape' | 'currency' | 'payoutIds' | 'entryIds' | 'payoutTotal' | 'creditTotal'>) => ({
  id: m.id,
  rule: m.rule,
  shape: m.shape,
  currency: m.currency,
  payout_ids: m.payoutIds,
  entry_ids: m.entryIds,
  payout_total: m.payoutTotal,
  credit_total: m.creditTotal,
});

const matchingView = (m: MatchingOutcome) => ({
  matches: m.matches.map(matchView),
  exceptions: m.exceptions.map((e) => ({ id: e.id, kind: e.kind, dedupe_key: e.dedupeKey, raised: e.raised, payout_id: e.payoutId, bank_entry_id: e.bankEntryId, amount: e.amount, currency: e.currency })),
  exception_counts: m.exceptionCounts,
});

const entryView = (e: BankStatementEntry) => ({
  id: e.id,
  position: e.position,
  line: e.line,
  amount: e.amount,
  currency: e.currency,
  direction: e.direction,
  status: e.status,
  reversal: e.reversal,
  booking_date: e.bookingDate,
  value_date: e.valueDate,
  end_to_end_id: e.endToEndId,
  account_servicer_ref: e.accountServicerRef,
  customer_ref: e.customerRef,
  remittance_info: e.remittanceInfo,
  additional_info: e.additionalInfo,
  bank_transaction_code: e.bankTransactionCode,
  match_id: e.matchId,
});

const day = z.iso.date({ message: 'must be a date (YYYY-MM-DD)' });
const listQuery = z
  .object({
    account: z.string().min(1).max(64).optional(),
    currency: z.string().regex(/^[A-Z]{3}$/, { message: 'must be an ISO 4217 code such as ILS' }).optional(),
    from: day.optional(),
    to: day.optional(),
    limit: z.coerce.number().int().min(1).max(100, { message: 'must be 1 to 100' }).default(50),
    cursor: cursorParam.optional(),
  })
  .strict();
const entriesQuery = z
  .object({
    after: z.coerce.number().int().min(0, { message: 'must be an entry position (0 or more)' }).default(0),
    limit: z.coerce.number().int().min(1).max(1000, { message: 'must be 1 to 1000' }).default(100),
  })
  .strict();

/**
 * Bank statements of the treasury's accounts (openapi/payments.yaml): import one (camt.053 or
 * MT940, the file as the request body, read as it streams), list them, read one with its matches,
 * page through its entries. Only the platform's finance staff (PLATFORM_ORGANISATION_ID): the
 * statements are the treasury's, not a ministry's, whose token gets a 403.
 */
export function statementRoutes(router: IRouter, { knex, verify, accounts, rules, maxBytes, platformOrganisationId = PLATFORM_ORGANISATION_ID }: StatementRoutesDeps): void {
  const repository = statementRepository(knex);
  const treasuryOnly: RequestHandler = (_req, res, next) => {
    if (callerOf(res).organisationId !== platformOrganisationId) {
      throw new Forbidden(`Bank statements are the treasury's: only the platform's finance staff (organisation ${platformOrganisationId}) import and read them.`, { code: 'platform_only' });
    }
    next();
  };
  const read = [requireScope(verify, 'reconciliation:read'), treasuryOnly];
  const statementOf = async (id: string) => {
    const found = z.uuid().safeParse(id).success ? await repository.byId(id) : undefined;
    if (!found) throw new NotFound(`There is no bank statement ${id}.`);
    return found;
  };

  resource(router, STATEMENTS_PATH, {
    post: [
      requireScope(verify, 'reconciliation:write'),
      treasuryOnly,
      async (req: Request, res: Response) => {
        const { format, charset } = formatOf(req.headers['content-type']);
        const encoding = req.headers['content-encoding'];
        if (encoding && encoding !== 'identity') throw new UnsupportedMediaType(`Send the statement uncompressed (Content-Encoding ${encoding} is not read).`);
        const declared = Number(req.headers['content-length'] ?? 0);
        if (declared > maxBytes) throw new PayloadTooLarge(`A statement file may be at most ${maxBytes} bytes.`);
        const caller = callerOf(res);
        const source = bodyOf(req, maxBytes);
        const events = format === 'camt.053' ? parseCamt053(source) : parseMt940(source, charset ? { charset } : {});
        let result;
        try {
          result = await importStatements(knex, events, { accounts, rules, importedBy: caller.subject ?? caller.clientId });
        } catch (error) {
          // The rest of the body is read and dropped, so that the answer reaches the client.
          req.resume();
          throw answerOf(error);
        }
        const added = result.statements.some((s) => s.outcome === 'imported');
        res.status(added ? 201 : 200).json({
          statements: result.statements.map((s) => ({ outcome: s.outcome, ...statementView(s.statement) })),
          matching: matchingView(result.matching),
        });
      },
    ],
    get: [
      ...read,
      async (req, res) => {
        const query = validate(listQuery, req.query);
        const rows = await repository.list({
          limit: query.limit,
          ...(query.account ? { account: query.account } : {}),
          ...(query.currency ? { currency: query.currency } : {}),
          ...(query.from ? { closingFrom: query.from } : {}),
          ...(query.to ? { closingTo: query.to } : {}),
          ...(query.cursor ? { cursor: query.cursor } : {}),
        });
        const page = pageOf(rows, query.limit, statementView);
        res.json({ statements: page.items, next_cursor: page.next_cursor });
      },
    ],
  });

  resource(router, `${STATEMENTS_PATH}/:id`, {
    get: [
      ...read,
      async (req, res) => {
        const statement = await statementOf(String(req.params.id));
        const matches = await repository.matchesOf(statement.id);
        res.json({ ...statementView(statement), matches: matches.map(matchView) });
      },
    ],
  });

  resource(router, `${STATEMENTS_PATH}/:id/entries`, {
    get: [
      ...read,
      async (req, res) => {
        const query = validate(entriesQuery, req.query);
        const statement = await statementOf(String(req.params.id));
        const entries = await repository.entries(statement.id, { afterPosition: query.after, limit: query.limit });
        const shown = entries.slice(0, query.limit);
        res.json({ entries: shown.map(entryView), next_after: entries.length > query.limit ? shown.at(-1)!.position : null });
      },
    ],
  });
}
