import type { Currency, Money } from '../domain/money.js';

/**
 * A ministry's payment settings: the name its payment pages show (GOV.UK Pay's "service name"),
 * in Arabic and English, and per currency the amount above which the citizen must log in at
 * `urn:tamkeen:loa:substantial` before paying. A currency without a threshold needs no login.
 */
export interface PaymentSettings {
  organisationId: string;
  serviceName: { ar: string; en: string };
  /** Minor units; a payment of more than this needs a login (0: every payment in that currency). */
  loginRequiredAbove: Partial<Record<Currency, number>>;
  updatedBy: string;
  createdAt: Date;
  updatedAt: Date;
}

/** Whether the citizen must log in to pay `payment`: its amount is above its ministry's threshold for its currency. */
export function loginRequired(settings: PaymentSettings | undefined, payment: Money): boolean {
  const threshold = settings?.loginRequiredAbove[payment.currency];
  return threshold !== undefined && payment.amount > threshold;
}

/**
 * The ministry's name on the page, in the page's language; before the ministry has set one, its
 * organisation id (what the page showed before settings existed), which names it plainly enough.
 */
export const serviceNameOf = (settings: PaymentSettings | undefined, organisationId: string, lang: 'ar' | 'en'): string => settings?.serviceName[lang] ?? organisationId;
