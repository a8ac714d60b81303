import type { Knex } from '@tamkeen/db';
import {
  BadGateway,
  callerOf,
  Conflict,
  cursorParam,
  Forbidden,
  pageOf,
  requireScope,
  resource,
  ServiceUnavailable,
  UnsupportedMediaType,
  validate,
  type AccessTokenVerifier,
  type Logger,
} from '@tamkeen/http-kit';
import type { IRouter, Request, Response } from 'express';
import { z } from 'zod';
import { PLATFORM_ORGANISATION_ID } from '../ledger/ledger-routes.js';
import { PspRequestRefused, PspUnavailable, type PaymentProvider } from '../psp/payment-provider.js';
import { exceptionView } from '../reconciliation/exception-routes.js';
import { exceptionsNewestFirst } from '../reconciliation/exception-list.js';
import { checkMissingSettlements } from './missing-settlements.js';
import type { SettlementRules } from './settlement-line.js';
import { pullSettlements } from './settlement-pull.js';
import { importSettlementReport } from './settlement-report.js';

export interface SettlementRoutesDeps {
  knex: Knex;
  verify: AccessTokenVerifier;
  logger: Logger;
  /** The PSP: without one, a pull answers 503. */
  psp?: PaymentProvider | undefined;
  rules: SettlementRules;
  pull: { overlapMinutes: number; lookbackDays: number };
  /** The largest settlement report taken, in bytes. */
  reportMaxBytes: number;
  platformOrganisationId?: string;
  now?: () => Date;
}

const BASE = '/payments/v1/reconciliation';

const exceptionListQuery = z
  .object({
    kind: z.string().regex(/^[a-z_]{1,50}$/, { message: 'must be an exception kind (amount_mismatch, unknown_charge, missing_settlement, duplicate_line...)' }).optional(),
    status: z.enum(['open', 'assigned', 'awaiting_approval', 'resolved'], { message: 'must be one of open, assigned, awaiting_approval, resolved' }).optional(),
    limit: z.coerce.number().int().min(1).max(100, { message: 'must be 1 to 100' }).default(50),
    cursor: cursorParam.optional(),
  })
  .strict();

const missingCheckBody = z
  .object({ as_of: z.iso.datetime({ offset: true, message: 'must be a date-time (ISO 8601, with its offset or Z)' }).transform((value) => new Date(value)).optional() })
  .strict();

/** The PSP's failure as this API answers it: unreachable is a 503 (try again), refused a 502. */
function pspProblem(error: unknown): unknown {
  if (error instanceof PspUnavailable) return new ServiceUnavailable(`The card processor could not be reached to pull its settlements (${error.message}); nothing was lost: pull again later.`, { code: 'psp_unavailable' });
  if (error instanceof PspRequestRefused) return new BadGateway(`The card processor refused the pull (${error.message}).`, { code: 'psp_refused' });
  return error;
}

/**
 * Settlements from the PSP, and the exceptions reconciliation raises (openapi/payments.yaml), for
 * the platform's own finance staff only (organisation `tamkeen`): a ministry's token is a 403,
 * since settlement lines, payouts and exceptions hold every ministry's money. (A ministry sees its
 * own payments' `settled_date` and `payout_id` through the payments API.)
 * - POST …/settlements/pull (reconciliation:write): pulls now; answers what it did;
 * - POST …/settlement-reports (reconciliation:write): imports a CSV report (text/csv), streamed;
 * - POST …/settlements/missing-check (reconciliation:write): the missing-settlement check as of a time;
 * - GET …/exceptions (reconciliation:read): the exceptions, newest first, by kind and status.
 */
export function settlementRoutes(router: IRouter, { knex, verify, logger, psp, rules, pull, reportMaxBytes, platformOrganisationId = PLATFORM_ORGANISATION_ID, now = () => new Date() }: SettlementRoutesDeps): void {
  const read = requireScope(verify, 'reconciliation:read');
  const write = requireScope(verify, 'reconciliation:write');
  const platformCaller = (res: Response) => {
    const caller = callerOf(res);
    if (caller.organisationId !== platformOrganisationId) throw new Forbidden("Settlements and reconciliation exceptions are the platform's finance staff's.", { code: 'platform_only' });
    return caller;
  };

  resource(router, `${BASE}/settlements/pull`, {
    post: [
      write,
      async (_req, res) => {
        platformCaller(res);
        if (!psp) throw new ServiceUnavailable('No card processor is configured: there is nothing to pull from.', { code: 'psp_unavailable' });
        const pulled = await pullSettlements({ knex, psp, rules, overlapMinutes: pull.overlapMinutes, lookbackDays: pull.lookbackDays, now }).catch((error: unknown) => {
          throw pspProblem(error);
        });
        if (pulled === 'running') throw new Conflict('A pull of the settlements is running now; its results will be in when it ends.', { code: 'pull_running' });
        logger.info({ settlements: pulled }, 'settlements pulled from the PSP');
        res.json(pulled);
      },
    ],
  });

  resource(router, `${BASE}/settlement-reports`, {
    post: [
      write,
      async (req: Request, res) => {
        const caller = platformCaller(res);
        if (!req.is('text/csv')) throw new UnsupportedMediaType('A settlement report is sent as its CSV file, Content-Type: text/csv.', { code: 'unsupported_media_type' });
        const imported = await importSettlementReport(req, { knex, rules, importedBy: caller.subject ?? caller.clientId, maxBytes: reportMaxBytes, now });
        logger.info({ report: imported.id, settlements: imported.counts }, 'a settlement report was imported');
        res.json({ id: imported.id, sha256: imported.sha256, ...imported.counts });
      },
    ],
  });

  resource(router, `${BASE}/settlements/missing-check`, {
    post: [
      write,
      async (req, res) => {
        platformCaller(res);
        const input = validate(missingCheckBody, req.body ?? {});
        res.json(await checkMissingSettlements(knex, rules, input.as_of ?? now()));
      },
    ],
  });

  resource(router, `${BASE}/exceptions`, {
    get: [
      read,
      async (req, res) => {
        platformCaller(res);
        const query = validate(exceptionListQuery, req.query);
        const fetched = await exceptionsNewestFirst(knex, { kind: query.kind, status: query.status }, query.limit + 1, query.cursor);
        const { items, next_cursor } = pageOf(fetched, query.limit, (e) => exceptionView(e));
        res.json({ exceptions: items, next_cursor });
      },
    ],
  });
}
