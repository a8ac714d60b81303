/**
 * Money: an integer count of minor units with an ISO 4217 currency, never a float. The currencies
 * the platform takes and their decimals (ISO 4217): the shekel and the US dollar have 2, the
 * Jordanian dinar 3 (1 dinar = 1,000 fils).
 */
export const CURRENCIES = { ILS: 2, USD: 2, JOD: 3 } as const;
export type Currency = keyof typeof CURRENCIES;

/** The largest amount one payment may be, in minor units (PostgreSQL bigint is larger; card schemes refuse far less). */
export const MAX_AMOUNT = 99_999_999;

export interface Money {
  amount: number;
  currency: Currency;
}

export const isCurrency = (value: unknown): value is Currency => typeof value === 'string' && Object.hasOwn(CURRENCIES, value);

/** Why `amount` cannot be a payment's amount in `currency`, or undefined when it can. */
export function amountProblem(amount: unknown, currency: Currency): string | undefined {
  if (typeof amount !== 'number' || !Number.isInteger(amount)) return `must be a whole number of minor units (${currency} has ${CURRENCIES[currency]} decimals: ${exampleOf(currency)})`;
  if (amount < 1) return 'must be at least 1';
  if (amount > MAX_AMOUNT) return `must be at most ${MAX_AMOUNT}`;
  // Card payments in three-decimal currencies settle in tens of the minor unit (Stripe's rule for
  // JOD, BHD, KWD...): 2.505 JOD cannot be charged, 2.500 or 2.510 can.
  if (CURRENCIES[currency] === 3 && amount % 10 !== 0) return `must be a multiple of 10 in ${currency} (card payments are in hundredths of a dinar: 2.505 ${currency} cannot be charged, 2.500 or 2.510 can)`;
  return undefined;
}

/** How one unit is written in minor units, for error messages: "1.50 ILS is 150". */
function exampleOf(currency: Currency): string {
  const decimals = CURRENCIES[currency];
  return `1.${'5'.padEnd(decimals, '0')} ${currency} is ${15 * 10 ** (decimals - 1)}`;
}

/**
 * The amount as a person reads it, in Arabic (the default: Arabic-Indic digits, the currency's
 * Arabic name) or English, with the currency's own number of decimals.
 */
export function formatMoney({ amount, currency }: Money, lang: 'ar' | 'en'): string {
  return moneyFormat(currency, lang).format(amount / 10 ** CURRENCIES[currency]);
}

// A number format costs far more to build than to use (ICU data): one per currency and language.
const moneyFormats = new Map<string, Intl.NumberFormat>();
function moneyFormat(currency: Currency, lang: 'ar' | 'en'): Intl.NumberFormat {
  const key = `${currency} ${lang}`;
  let format = moneyFormats.get(key);
  if (!format) {
    const decimals = CURRENCIES[currency];
    format = new Intl.NumberFormat(lang === 'ar' ? 'ar-EG' : 'en-GB', { style: 'currency', currency, currencyDisplay: lang === 'ar' ? 'name' : 'code', minimumFractionDigits: decimals, maximumFractionDigits: decimals });
    moneyFormats.set(key, format);
  }
  return format;
}
