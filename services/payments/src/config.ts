import { accessTokenVariables, httpServiceVariables, httpUrl, positiveInt, storeVariables, z } from '@tamkeen/config';
import { DEFAULT_STATEMENT_MAX_BYTES, matchingRules, treasuryAccounts } from './statements/statement-config.js';

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
  /**
   * The citizens' login on the payment page, for payments above a ministry's threshold
   * (settings/): the citizen issuer as browsers and its ID tokens name it (`<PUBLIC_URL>/auth/citizen`);
   * where payments reaches that issuer inside the platform (identity's origin, e.g.
   * `http://127.0.0.1:4001`, or the issuer's full internal URL), for its discovery, token endpoint
   * and keys; and the payment page's relying party there (`tamkeen-pay`, its redirect URI
   * `<PUBLIC_URL>/pay/login/callback`, client_secret_basic) with its secret (sent to the issuer
   * only, never logged). All four or none: unset, a payment above a threshold cannot be taken (its
   * page says so) rather than taken without the login.
   */
  CITIZEN_ISSUER: httpUrl().optional(),
  CITIZEN_ISSUER_INTERNAL_URL: httpUrl().optional(),
  PAY_LOGIN_CLIENT_ID: z.string().min(1).optional(),
  PAY_LOGIN_CLIENT_SECRET: z.string().min(1).optional(),
  /**
   * The finance console's staff login (/finance, finance/): the enterprise issuer as browsers and
   * its ID tokens name it (`<PUBLIC_URL>/auth/enterprise`); where payments reaches it inside the
   * platform (identity's origin or the issuer's full internal URL); and the console's relying party
   * there (`tamkeen-finance`, its redirect URI `<PUBLIC_URL>/finance/login/callback`) with its
   * secret (sent to the issuer only, never logged). All four or none: unset, /finance answers 501.
   */
  ENTERPRISE_ISSUER: httpUrl().optional(),
  ENTERPRISE_ISSUER_INTERNAL_URL: httpUrl().optional(),
  FINANCE_LOGIN_CLIENT_ID: z.string().min(1).optional(),
  FINANCE_LOGIN_CLIENT_SECRET: z.string().min(1).optional(),
  /** A finance console session ends after this long without a request (and after 8 hours in any case). */
  FINANCE_SESSION_IDLE_MINUTES: positiveInt(30),
  /** What the finance console's keys in the shared Redis start with (sessions, logins in progress, the officers seen). */
  FINANCE_REDIS_PREFIX: z.string().min(1).default('tamkeen-payments:finance'),
  /** The webhook relay: how often it looks at the outbox when idle. */
  WEBHOOK_POLL_MS: positiveInt(1_000),
  /** Posts of one notice before it is dead-lettered (about two days with the defaults below). */
  WEBHOOK_MAX_ATTEMPTS: positiveInt(16),
  /** The first retry's delay; each next one doubles (with jitter) up to WEBHOOK_MAX_BACKOFF_MS. */
  WEBHOOK_BACKOFF_MS: positiveInt(10_000),
  WEBHOOK_MAX_BACKOFF_MS: positiveInt(6 * 3_600_000),
  /** How long a ministry's endpoint may take to answer a post. */
  WEBHOOK_TIMEOUT_MS: positiveInt(10_000),
  /**
   * Receipts to citizens (receipts/): the notifications service, inside the platform. Unset: no
   * receipt is sent; each one queued is marked `skipped`, and a warning says so at start-up. Set,
   * PLATFORM_TOKEN_URL, PLATFORM_CLIENT_ID and PLATFORM_CLIENT_SECRET are required too.
   */
  NOTIFICATIONS_URL: httpUrl().optional(),
  /** The notifications API's resource indicator, sent as `resource` with the token request when set. */
  NOTIFICATIONS_AUDIENCE: httpUrl().optional(),
  /** The enterprise issuer's token endpoint, where payments (a machine client) gets its access tokens by client credentials. */
  PLATFORM_TOKEN_URL: httpUrl().optional(),
  /** Payments' machine client at the enterprise issuer (`tamkeen-payments`), and its secret: sent to the issuer only, never logged. */
  PLATFORM_CLIENT_ID: z.string().min(1).optional(),
  PLATFORM_CLIENT_SECRET: z.string().min(1).optional(),
  /** The treasury's bank accounts whose statements are imported: a JSON list of {"account", "currency", "name"} (statements/statement-config.ts). */
  TREASURY_ACCOUNTS: treasuryAccounts(),
  /** How bank credits are matched to PSP payouts: a JSON object overriding any of the defaults (statements/statement-config.ts). */
  BANK_MATCHING_RULES: matchingRules(),
  /** The largest bank statement file taken, in bytes. */
  STATEMENT_MAX_BYTES: positiveInt(DEFAULT_STATEMENT_MAX_BYTES),
  /**
   * Reconciliation of the PSP's settlements (settlements/). A settlement line that names no PSP id
   * of ours (a report without payment intents) is matched by amount, currency and time: to the
   * closest of our records succeeded within this many hours of it.
   */
  SETTLEMENT_MATCH_WINDOW_HOURS: positiveInt(24),
  /** A succeeded payment not settled (no line of it in a PSP payout) this many days after it succeeded is a missing_settlement exception. */
  SETTLEMENT_MISSING_AFTER_DAYS: positiveInt(5),
  /** Each pull starts again this many minutes before the newest transaction the last one saw (what the PSP writes late is not missed). */
  SETTLEMENT_PULL_OVERLAP_MINUTES: positiveInt(60),
  /** The very first pull starts this many days back. */
  SETTLEMENT_PULL_LOOKBACK_DAYS: positiveInt(35),
  /** How often each instance pulls the settlements and runs the missing-settlement check (one at a time across instances); 0: only on demand. */
  SETTLEMENT_PULL_EVERY_MINUTES: z.coerce.number({ message: 'must be a whole number of minutes (0: never)' }).int({ message: 'must be a whole number of minutes (0: never)' }).min(0, { message: 'must be a whole number of minutes (0: never)' }).default(60),
  /** The largest settlement report (CSV) taken. */
  SETTLEMENT_REPORT_MAX_BYTES: positiveInt(256 * 1024 * 1024),
}).superRefine((config, ctx) => {
  if (!config.NOTIFICATIONS_URL) return;
  for (const variable of ['PLATFORM_TOKEN_URL', 'PLATFORM_CLIENT_ID', 'PLATFORM_CLIENT_SECRET'] as const) {
    if (!config[variable]) ctx.addIssue({ code: 'custom', path: [variable], message: 'is required when NOTIFICATIONS_URL is set (receipts are sent with a token of payments\' machine client)' });
  }
}).superRefine((config, ctx) => {
  const login = ['CITIZEN_ISSUER', 'CITIZEN_ISSUER_INTERNAL_URL', 'PAY_LOGIN_CLIENT_ID', 'PAY_LOGIN_CLIENT_SECRET'] as const;
  if (login.every((variable) => !config[variable])) return;
  for (const variable of login) {
    if (!config[variable]) ctx.addIssue({ code: 'custom', path: [variable], message: `is required with ${login.filter((v) => v !== variable).join(', ')}: the payment page's citizen login needs all four` });
  }
}).superRefine((config, ctx) => {
  const login = ['ENTERPRISE_ISSUER', 'ENTERPRISE_ISSUER_INTERNAL_URL', 'FINANCE_LOGIN_CLIENT_ID', 'FINANCE_LOGIN_CLIENT_SECRET'] as const;
  if (login.every((variable) => !config[variable])) return;
  for (const variable of login) {
    if (!config[variable]) ctx.addIssue({ code: 'custom', path: [variable], message: `is required with ${login.filter((v) => v !== variable).join(', ')}: the finance console's staff login needs all four` });
  }
});

export type PaymentsConfig = z.output<typeof paymentsConfig>;

/** Reconciliation's matching and checking rules, from the configuration. */
export const settlementRules = (config: PaymentsConfig) => ({ matchWindowHours: config.SETTLEMENT_MATCH_WINDOW_HOURS, missingAfterDays: config.SETTLEMENT_MISSING_AFTER_DAYS });
