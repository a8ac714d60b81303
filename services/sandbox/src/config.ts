import { httpServiceVariables, httpUrl, port, z } from '@tamkeen/config';

/**
 * The sandbox keeps nothing durable: no database, no Redis. Its Twilio account and Stripe keys are
 * development credentials: the notifications and payments services are configured with the same.
 */
export const sandboxConfig = z.object({
  ...httpServiceVariables(4005),
  TWILIO_ACCOUNT_SID: z
    .string()
    .regex(/^AC[0-9a-f]{32}$/, { message: 'must be AC followed by 32 hex digits' })
    .default('AC00000000000000000000000000000000'),
  TWILIO_AUTH_TOKEN: z.string().min(16, { message: 'must be at least 16 characters' }).default('sandbox-twilio-auth-token'),
  /** The SMTP sink's port (plain SMTP, any login or none). */
  SMTP_PORT: port(2525),
  /** Pause between a message's statuses (queued → sent → delivered), as a network would take. */
  SMS_STEP_DELAY_MS: z.coerce.number().int().min(0, { message: 'must be 0 or more' }).default(200),
  /** The PSP account's secret key: the payments service calls the Stripe-compatible API with it. */
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^sk_test_[0-9A-Za-z_]{8,}$/, { message: 'must be sk_test_ followed by at least 8 letters or digits' })
    .default('sk_test_sandbox_0000000000000000'),
  /** Its publishable key: the hosted payment page tokenises cards with it (creating PaymentMethods only). */
  STRIPE_PUBLISHABLE_KEY: z
    .string()
    .regex(/^pk_test_[0-9A-Za-z_]{8,}$/, { message: 'must be pk_test_ followed by at least 8 letters or digits' })
    .default('pk_test_sandbox_0000000000000000'),
  /** Days from a payment to its funds' `available_on` (Stripe's payout schedule). */
  STRIPE_AVAILABLE_AFTER_DAYS: z.coerce.number().int().min(0, { message: 'must be 0 or more' }).max(30, { message: 'must be 30 or less' }).default(2),
  /**
   * When the daily automatic payouts run, HH:MM in UTC: everything available then, in each
   * currency, is paid out to the account's bank account (stripe/payouts.ts).
   */
  STRIPE_PAYOUT_TIME: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'must be a time of day HH:MM (UTC), e.g. 06:00' })
    .default('06:00'),
  /**
   * Where a citizen's browser reaches the sandbox (the 3-D Secure page). Unset: the origin the PSP
   * API was called at, which is right when the caller and the browser see the same address.
   */
  SANDBOX_PUBLIC_URL: httpUrl().optional(),
  /** Where the PSP posts its events (Stripe's webhooks), e.g. the payments service's webhook route. Unset: none are sent. */
  STRIPE_WEBHOOK_URL: httpUrl().optional(),
  /** The endpoint's signing secret (`whsec_…`): the payments service verifies `Stripe-Signature` with the same. */
  STRIPE_WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_[0-9A-Za-z_]{8,}$/, { message: 'must be whsec_ followed by at least 8 letters or digits' })
    .default('whsec_sandbox_0000000000000000'),
  /** Pauses before each retry of a webhook that was not answered 2xx, in milliseconds, comma-separated. */
  STRIPE_WEBHOOK_RETRY_DELAYS_MS: z
    .string()
    .regex(/^\d+(,\d+)*$/, { message: 'must be milliseconds separated by commas, e.g. 1000,5000,30000' })
    .default('1000,5000,30000,120000')
    .transform((text) => text.split(',').map(Number)),
});

export type SandboxConfig = z.output<typeof sandboxConfig>;
