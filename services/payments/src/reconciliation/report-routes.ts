import { callerOf, requireScope, resource, validate, type AccessTokenVerifier } from '@tamkeen/http-kit';
import type { Knex } from '@tamkeen/db';
import type { IRouter } from 'express';
import { z } from 'zod';
import { PLATFORM_ORGANISATION_ID } from '../ledger/ledger-routes.js';
import { dailyReceipts, dailyReceiptsCsv, type DailyReceipts, type ReceivedAtBank } from './daily-receipts.js';

export interface ReportRoutesDeps {
  knex: Knex;
  verify: AccessTokenVerifier;
  platformOrganisationId?: string;
  /** Bank statement credits matched to payouts per currency and day (statements/), once built. */
  receivedAtBank?: ReceivedAtBank;
}

const reportQuery = z.strictObject({
  date: z.iso.date({ message: 'must be a day, YYYY-MM-DD' }),
  format: z.enum(['json', 'csv'], { message: 'must be json or csv' }).optional(),
});

export function dailyReceiptsView(report: DailyReceipts) {
  return {
    date: report.date,
    ministries: report.ministries.map((m) => ({ organisation_id: m.organisationId, currency: m.currency, gross: m.gross, fees: m.fees, refunds: m.refunds, disputes: m.disputes, net: m.net, disputes_lost: m.disputesLost })),
    totals: report.totals.map((t) => ({ currency: t.currency, gross: t.gross, fees: t.fees, refunds: t.refunds, disputes: t.disputes, net: t.net, disputes_lost: t.disputesLost, paid_out: t.paidOut, received_at_bank: t.receivedAtBank })),
  };
}

/**
 * Reports for finance staff (openapi/payments.yaml): the day's receipts per ministry and currency,
 * as JSON or CSV (`?format=csv`, or `Accept: text/csv`). The platform's finance staff see every
 * ministry and the payouts; a ministry's finance officer sees its own lines and totals.
 */
export function reportRoutes(router: IRouter, { knex, verify, platformOrganisationId = PLATFORM_ORGANISATION_ID, receivedAtBank }: ReportRoutesDeps): void {
  const read = requireScope(verify, 'reconciliation:read');
  resource(router, '/payments/v1/reconciliation/reports/daily-receipts', {
    get: [
      read,
      async (req, res) => {
        const query = validate(reportQuery, req.query);
        const organisationId = callerOf(res).organisationId;
        const platform = organisationId === platformOrganisationId;
        const report = await dailyReceipts(knex, query.date, { ...(platform ? {} : { organisationId }), ...(receivedAtBank ? { receivedAtBank } : {}) });
        const csv = query.format === 'csv' || (query.format === undefined && req.accepts(['application/json', 'text/csv']) === 'text/csv');
        if (csv) {
          res.set({ 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="daily-receipts-${query.date}.csv"` }).send(dailyReceiptsCsv(report));
          return;
        }
        res.json(dailyReceiptsView(report));
      },
    ],
  });
}
