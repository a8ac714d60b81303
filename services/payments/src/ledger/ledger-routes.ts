import { BadRequest, callerOf, Conflict, Forbidden, requireScope, resource, validate, type AccessTokenVerifier } from '@tamkeen/http-kit';
import type { Knex } from '@tamkeen/db';
import type { IRouter } from 'express';
import { z } from 'zod';
import { CURRENCIES, type Currency } from '../domain/money.js';
import { ledgerCloses, type Close } from './ledger-close.js';
import { ledgerDay, trialBalance, type TrialBalance } from './ledger.js';

/**
 * The platform's own organisation (identity's): its finance staff keep the books of every
 * ministry, so they see every account, and totals that net to zero.
 */
export const PLATFORM_ORGANISATION_ID = 'tamkeen';

export interface LedgerRoutesDeps {
  knex: Knex;
  verify: AccessTokenVerifier;
  platformOrganisationId?: string;
  now?: () => Date;
}

const PERIOD = /^(\d{4})-(0[1-9]|1[0-2])$/;
const closeView = (c: Close) => ({ period: c.period, closed_through: c.closedThrough, closed_by: c.closedBy, closed_at: c.closedAt.toISOString() });

const trialBalanceQuery = z
  .object({
    at: z.iso.datetime({ offset: true, message: 'must be a date-time (ISO 8601, with its offset or Z)' }).transform((value) => new Date(value)).optional(),
    currency: z.enum(Object.keys(CURRENCIES) as [Currency, ...Currency[]], { message: `must be one of ${Object.keys(CURRENCIES).join(', ')}` }).optional(),
  })
  .strict();

function view(balance: TrialBalance, scope: 'platform' | 'organisation') {
  return {
    at: balance.at.toISOString(),
    scope,
    accounts: balance.accounts.map((a) => ({ account: a.accountCode, name: a.name, kind: a.kind, currency: a.currency, organisation_id: a.organisationId, debit: a.debit, credit: a.credit, balance: a.balance })),
    totals: balance.totals,
  };
}

/**
 * The trial balance (openapi/payments.yaml), for finance staff with `reconciliation:read`. Who
 * sees what: the platform's finance staff (PLATFORM_ORGANISATION_ID) see every account, and
 * totals that net to zero per currency; a ministry's finance officer sees only its own accounts
 * (its revenue), totalled — never the shared accounts, which hold every ministry's money.
 */
export function ledgerRoutes(router: IRouter, { knex, verify, platformOrganisationId = PLATFORM_ORGANISATION_ID, now = () => new Date() }: LedgerRoutesDeps): void {
  const read = requireScope(verify, 'reconciliation:read');
  const write = requireScope(verify, 'reconciliation:write');
  const closes = ledgerCloses(knex);
  /** The month-end close is the platform's finance staff's: they keep every ministry's books. */
  const platformOnly = (organisationId: string) => {
    if (organisationId !== platformOrganisationId) throw new Forbidden('Only the platform\'s finance staff close the ledger\'s periods.', { code: 'platform_only' });
  };

  // The month-end close: which months are closed, and closing one (no entry can be dated inside it afterwards).
  resource(router, '/payments/v1/ledger/periods', {
    get: [
      read,
      async (_req, res) => {
        res.json({ closed_through: (await closes.closedThrough()) ?? null, closes: (await closes.list()).map(closeView) });
      },
    ],
  });
  resource(router, '/payments/v1/ledger/periods/:period/close', {
    post: [
      write,
      async (req, res) => {
        const caller = callerOf(res);
        platformOnly(caller.organisationId);
        const period = String(req.params.period);
        if (!PERIOD.test(period)) throw new BadRequest('The period is a month: YYYY-MM (2026-11).', { invalidParams: [{ name: 'period', reason: 'must be a month, YYYY-MM' }] });
        const closed = await closes.close(period, caller.subject ?? caller.clientId, ledgerDay(now()));
        if (closed.outcome === 'not ended') throw new Conflict(`${period} has not ended: it can be closed from the day after ${closed.lastDay}.`, { code: 'period_not_ended' });
        if (closed.outcome === 'out of order') throw new Conflict(`The ledger is already closed through ${closed.closedThrough}, after ${period}: a closed period is never reopened or closed again.`, { code: 'period_closed' });
        res.status(closed.outcome === 'closed' ? 201 : 200).json({ ...closeView(closed.close), ledger_closed_through: closed.closedThrough });
      },
    ],
  });

  resource(router, '/payments/v1/ledger/trial-balance', {
    get: [
      read,
      async (req, res) => {
        const query = validate(trialBalanceQuery, req.query);
        const organisationId = callerOf(res).organisationId;
        const platform = organisationId === platformOrganisationId;
        const balance = await trialBalance(knex, { ...(query.at ? { at: query.at } : {}), ...(query.currency ? { currency: query.currency } : {}), ...(platform ? {} : { organisationId }) });
        res.json(view(balance, platform ? 'platform' : 'organisation'));
      },
    ],
  });
}
