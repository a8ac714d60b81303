import { callerOf, NotFound, requireScope, resource, validate, type AccessTokenVerifier } from '@tamkeen/http-kit';
import type { IRouter } from 'express';
import { z } from 'zod';
import { amountProblem, CURRENCIES, type Currency } from '../domain/money.js';
import type { PaymentSettings } from './payment-settings.js';
import type { SettingsRepository } from './settings-repository.js';

const PATH = '/payments/v1/settings';

/** A name on the page: 1 to 100 characters once trimmed, on one line. */
const serviceName = z
  .string({ message: 'is required: the name, 1 to 100 characters' })
  .trim()
  .min(1, { message: 'must not be empty' })
  .max(100, { message: 'must be at most 100 characters' })
  .refine((value) => !/\p{Cc}/u.test(value), { message: 'must be one line, without control characters' });

/** Why `amount` cannot be a threshold in `currency`: as a payment's amount (domain/money.ts), except that 0 is allowed. */
export function thresholdProblem(amount: unknown, currency: Currency): string | undefined {
  if (typeof amount === 'number' && Number.isInteger(amount)) {
    if (amount < 0) return 'must be 0 or more (0: every payment in this currency needs a login)';
    if (amount === 0) return undefined;
  }
  return amountProblem(amount, currency);
}

const threshold = (currency: Currency) =>
  z.unknown().superRefine((value, ctx) => {
    const problem = thresholdProblem(value, currency);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }) as unknown as z.ZodType<number>;

const currencies = Object.keys(CURRENCIES) as Currency[];

export const settingsInput = z.strictObject(
  {
    service_name: z.strictObject({ ar: serviceName, en: serviceName }, { message: 'is required: the name the payment page shows, { "ar": "…", "en": "…" }' }),
    login_required_above: z
      .strictObject(Object.fromEntries(currencies.map((c) => [c, threshold(c).optional()])) as Record<Currency, z.ZodOptional<z.ZodType<number>>>, {
        message: `must be an object of thresholds by currency (${currencies.join(', ')}), in minor units`,
      })
      .default({}),
  },
  { message: 'must be a JSON object' },
);

export function settingsView(s: PaymentSettings) {
  return {
    organisation_id: s.organisationId,
    service_name: { ar: s.serviceName.ar, en: s.serviceName.en },
    login_required_above: Object.fromEntries(currencies.flatMap((c) => (s.loginRequiredAbove[c] === undefined ? [] : [[c, s.loginRequiredAbove[c]]]))),
    updated_at: s.updatedAt.toISOString(),
  };
}

/**
 * The ministry's payment settings (openapi/payments.yaml): GET with payments:read (or write), PUT
 * with payments:write, always the caller's own organisation's. PUT replaces them whole.
 */
export function settingsRoutes(router: IRouter, { settings, verify }: { settings: SettingsRepository; verify: AccessTokenVerifier }): void {
  const read = requireScope(verify, 'payments:read', 'payments:write');
  const write = requireScope(verify, 'payments:write');
  resource(router, PATH, {
    get: [
      read,
      async (_req, res) => {
        const organisationId = callerOf(res).organisationId;
        const found = await settings.get(organisationId);
        if (!found) {
          throw new NotFound(`Your organisation has no payment settings yet: its payment pages show its organisation id (${organisationId}) as its name and ask no citizen to log in. Set them with PUT ${PATH}.`, {
            code: 'no_payment_settings',
          });
        }
        res.json(settingsView(found));
      },
    ],
    put: [
      write,
      async (req, res) => {
        const caller = callerOf(res);
        const input = validate(settingsInput, req.body);
        const saved = await settings.put(caller.organisationId, { serviceName: input.service_name, loginRequiredAbove: input.login_required_above }, caller.clientId);
        res.json(settingsView(saved));
      },
    ],
  });
}
