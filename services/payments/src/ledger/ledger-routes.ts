import { callerOf, requireScope, resource, validate, type AccessTokenVerifier } from '@tamkeen/http-kit';
import type { Knex } from '@tamkeen/db';
import type { IRouter } from 'express';
import { z } from 'zod';
import { CURRENCIES, type Currency } from '../domain/money.js';
import { trialBalance, type TrialBalance } from './ledger.js';

/**
 * The platform's own organisation (identity's): its finance staff keep the books of every
 * ministry, so they see every account, and totals that net to zero.
 */
export const PLATFORM_ORGANISATION_ID = 'tamkeen';

export interface LedgerRoutesDeps {
  knex: Knex;
  verify: AccessTokenVerifier;
  platformOrganisationId?: string;
}

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
export function ledgerRoutes(router: IRouter, { knex, verify, platformOrganisationId = PLATFORM_ORGANISATION_ID }: LedgerRoutesDeps): void {
  const read = requireScope(verify, 'reconciliation:read');

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
