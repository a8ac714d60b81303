import { mobileNumber } from '@tamkeen/citizen-input';
import { listQueryFields, validate, ValidationFailed } from '@tamkeen/http-kit';
import { z } from 'zod';
import { amountProblem, CURRENCIES, type Currency } from '../domain/money.js';
import { PAYMENT_STATUSES } from './payment-state.js';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Where the citizen is sent back: https, or http on this computer while a service is being built. */
const returnUrl = z
  .string({ message: 'is required' })
  .max(2000, { message: 'must be at most 2,000 characters' })
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'https:' || (url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname));
    } catch {
      return false;
    }
  }, { message: 'must be an absolute https URL (http only for localhost)' });

const text = (max: number) => z.string({ message: 'is required' }).trim().min(1, { message: 'must not be empty' }).max(max, { message: `must be at most ${max} characters` });

/** Up to 10 of the ministry's own labels, kept with the payment and shown back (as GOV.UK Pay's metadata). */
const METADATA_KEY = /^[A-Za-z0-9_.-]{1,30}$/;
const metadata = z
  .record(z.string(), z.union([z.string().max(100, { message: 'values must be at most 100 characters' }), z.number(), z.boolean()], { message: 'values must be text, numbers or true/false' }))
  .refine((value) => Object.keys(value).every((key) => METADATA_KEY.test(key)), { message: 'keys must be 1 to 30 letters, digits, dots, dashes or underscores' })
  .refine((value) => Object.keys(value).length <= 10, { message: 'must have at most 10 keys' });

const newPaymentBody = z
  .object({
    amount: z.unknown(),
    currency: z.enum(Object.keys(CURRENCIES) as [Currency, ...Currency[]], { message: `must be one of ${Object.keys(CURRENCIES).join(', ')}` }),
    reference: text(255),
    description: text(255),
    return_url: returnUrl,
    email: z.email({ message: 'is not a valid e-mail address' }).max(254).optional(),
    phone_number: z.string().optional(),
    metadata: metadata.optional(),
  })
  .strict();

export type NewPaymentRequest = Omit<z.output<typeof newPaymentBody>, 'amount' | 'phone_number' | 'metadata'> & { amount: number; phoneNumber: string | null; metadata: Record<string, string> };

/** A ministry's new payment, checked: every problem is a 400 naming its field. */
export function parseNewPayment(body: unknown): NewPaymentRequest {
  const input = validate(newPaymentBody, body ?? {});
  const amountWrong = amountProblem(input.amount, input.currency);
  const phone = input.phone_number === undefined ? undefined : mobileNumber(input.phone_number);
  const problems = [...(amountWrong ? [{ name: 'amount', reason: amountWrong }] : []), ...(phone && !phone.ok ? [{ name: 'phone_number', reason: phone.reason }] : [])];
  if (problems.length > 0) throw new ValidationFailed(problems);
  return {
    amount: input.amount as number,
    currency: input.currency,
    reference: input.reference,
    description: input.description,
    return_url: input.return_url,
    ...(input.email ? { email: input.email } : {}),
    phoneNumber: phone?.ok ? phone.e164 : null,
    metadata: Object.fromEntries(Object.entries(input.metadata ?? {}).map(([k, v]) => [k, String(v)])),
  };
}

/** A day, YYYY-MM-DD, that exists. */
const day = z.iso.date({ message: 'must be a date (YYYY-MM-DD)' });

export const paymentListQuery = z
  .object({
    status: z.enum(PAYMENT_STATUSES, { message: `must be one of ${PAYMENT_STATUSES.join(', ')}` }).optional(),
    // Settled on or after / on or before (the payout's arrival date), as GOV.UK Pay's from_settled_date / to_settled_date.
    settled_date_from: day.optional(),
    settled_date_to: day.optional(),
    ...listQueryFields,
  })
  .strict();
