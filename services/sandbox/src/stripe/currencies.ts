import { invalidRequest } from './errors.js';

/**
 * The currencies the sandbox PSP takes, with Stripe's rules for them
 * (https://docs.stripe.com/currencies):
 * - amounts are positive integers in the smallest unit, at most eight digits;
 * - at least "$0.50 US or equivalent in charge currency" (`amount_too_small`); the sandbox fixes
 *   the equivalents below (rates of about 3.7 ILS and 0.709 JOD to the dollar);
 * - three-decimal currencies (JOD, like BHD, KWD, OMR, TND) must have 0 as the last digit
 *   ("to ensure compatibility with Stripe's payments partners ... round amounts to the nearest ten").
 *
 * Fee schedule (the sandbox's, in the manner of Stripe's standard card pricing, 2.9 % + a fixed fee):
 * fee = round-half-up(amount × 2.9 %) + fixed; usd 30 cents, ils 110 agorot (₪1.10), jod 210 fils
 * (JOD 0.210), and for JOD the fee is rounded to the nearest ten fils so that net stays a multiple of ten.
 */
export interface Currency {
  code: string;
  decimals: 2 | 3;
  symbol: string;
  minimum: number;
  fixedFee: number;
  /** Cents per minor unit, to say what an amount "converts to" in a refusal. */
  usdPerUnit: number;
}

export const CURRENCIES: Record<string, Currency> = {
  usd: { code: 'usd', decimals: 2, symbol: '$', minimum: 50, fixedFee: 30, usdPerUnit: 1 },
  ils: { code: 'ils', decimals: 2, symbol: '₪', minimum: 200, fixedFee: 110, usdPerUnit: 1 / 3.7 },
  jod: { code: 'jod', decimals: 3, symbol: 'JOD ', minimum: 360, fixedFee: 210, usdPerUnit: 1 / 7.09 },
};

export const PERCENT_FEE_PER_MILLE = 29;
export const MAX_AMOUNT = 99_999_999;

export function currencyOf(code: string): Currency {
  const currency = CURRENCIES[code.toLowerCase()];
  if (!currency) {
    throw invalidRequest(`Invalid currency: ${code.slice(0, 10).toLowerCase()}. The sandbox supports these currencies: ${Object.keys(CURRENCIES).join(', ')}`, {
      param: 'currency',
    });
  }
  return currency;
}

export function formatAmount(amount: number, currency: Currency): string {
  return `${currency.symbol}${(amount / 10 ** currency.decimals).toFixed(currency.decimals)}`;
}

/** Stripe's checks on a charge amount, in the order Stripe reports them. */
export function checkAmount(amount: number, currency: Currency): void {
  if (amount < 1) throw invalidRequest('This value must be greater than or equal to 1.', { param: 'amount', code: 'parameter_invalid_integer' });
  if (amount > MAX_AMOUNT) throw invalidRequest('Amount must be no more than 99999999', { param: 'amount', code: 'amount_too_large' });
  if (currency.decimals === 3 && amount % 10 !== 0) {
    throw invalidRequest(
      `Amounts in ${currency.code} (a three-decimal currency) must end in 0: round ${formatAmount(amount, currency)} to the nearest ten, e.g. ${Math.round(amount / 10) * 10}.`,
      { param: 'amount', code: 'invalid_charge_amount' },
    );
  }
  if (amount < currency.minimum) {
    const usd = Math.floor(amount * currency.usdPerUnit) / 100;
    throw invalidRequest(`Amount must convert to at least 50 cents. ${formatAmount(amount, currency)} converts to approximately $${usd.toFixed(2)}.`, {
      param: 'amount',
      code: 'amount_too_small',
    });
  }
}

/** The processing fee the sandbox charges on a successful card payment (the schedule above). */
export function processingFee(amount: number, currency: Currency): number {
  const percent = Math.floor((amount * PERCENT_FEE_PER_MILLE + 500) / 1000);
  const fee = percent + currency.fixedFee;
  return currency.decimals === 3 ? Math.round(fee / 10) * 10 : fee;
}
