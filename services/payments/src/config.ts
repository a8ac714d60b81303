import { accessTokenVariables, httpServiceVariables, httpUrl, positiveInt, storeVariables, z } from '@tamkeen/config';

export const paymentsConfig = z.object({
  ...httpServiceVariables(4002),
  ...storeVariables(),
  ...accessTokenVariables(),
  /** The platform's public origin: the hosted payment page is <PUBLIC_URL>/pay/<id>. */
  PUBLIC_URL: httpUrl().default('http://localhost:8080'),
  /** A payment not completed within this long expires (GOV.UK Pay: 90 minutes). */
  PAYMENT_EXPIRY_MINUTES: positiveInt(90),
  /** The PSP's API: Stripe, or a compatible one (the sandbox under npm start, compose and tests). */
  PSP_API_URL: httpUrl().default('https://api.stripe.com'),
  /** The PSP account's secret key: sent to the PSP only, never logged. */
  PSP_SECRET_KEY: z.string().regex(/^(sk|rk)_(test|live)_[0-9A-Za-z_]{8,}$/, { message: 'must be a secret key: sk_test_, sk_live_ (or rk_ for a restricted key) followed by letters and digits' }),
  /**
   * Where the citizen's browser reaches the PSP to tokenise the card (the payment page's script
   * calls it, and its Content-Security-Policy allows it): by default PSP_API_URL, which is right
   * for the sandbox under npm start; set it where the browser sees the PSP at another address.
   */
  PSP_BROWSER_URL: httpUrl().optional(),
  /** The account's publishable key: the hosted payment page tokenises cards with it in the browser. */
  PSP_PUBLISHABLE_KEY: z.string().regex(/^pk_(test|live)_[0-9A-Za-z_]{8,}$/, { message: 'must be a publishable key: pk_test_ or pk_live_ followed by letters and digits' }),
  /**
   * The signing secret of the PSP's webhook endpoint (`whsec_…`, from the PSP's dashboard, or the
   * sandbox's STRIPE_WEBHOOK_SECRET): the PSP's events posted to /payments/psp/webhooks/stripe are
   * verified with it (Stripe-Signature). Unset: every event is refused (503), so that none is taken
   * unverified; payments then settle only through the hosted page.
   */
  PSP_WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_[0-9A-Za-z_]{8,}$/, { message: 'must be a webhook signing secret: whsec_ followed by letters and digits' })
    .optional(),
  /** How long one call to the PSP may take before it counts as unavailable (under the gateway's 30 s). */
  PSP_TIMEOUT_MS: positiveInt(20_000),
  /** The webhook relay: how often it looks at the outbox when idle. */
  WEBHOOK_POLL_MS: positiveInt(1_000),
  /** Posts of one notice before it is dead-lettered (about two days with the defaults below). */
  WEBHOOK_MAX_ATTEMPTS: positiveInt(16),
  /** The first retry's delay; each next one doubles (with jitter) up to WEBHOOK_MAX_BACKOFF_MS. */
  WEBHOOK_BACKOFF_MS: positiveInt(10_000),
  WEBHOOK_MAX_BACKOFF_MS: positiveInt(6 * 3_600_000),
  /** How long a ministry's endpoint may take to answer a post. */
  WEBHOOK_TIMEOUT_MS: positiveInt(10_000),
});

export type PaymentsConfig = z.output<typeof paymentsConfig>;
