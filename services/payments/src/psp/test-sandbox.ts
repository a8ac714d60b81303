import { fileURLToPath } from 'node:url';
import { freePort, startBuiltService } from '@tamkeen/testing';
import { stripeForm } from './stripe-form.js';

export interface RunningSandbox {
  url: string;
  secretKey: string;
  publishableKey: string;
  /** Tokenises a test card with the publishable key, as Stripe.js does in the citizen's browser: a `pm_…` id. */
  tokenise(cardNumber: string): Promise<string>;
  /**
   * The sandbox's test helper (`POST /v1/test_helpers/payouts/run`): its clock moves forward to
   * `asOf` (never back) and the daily payouts run as of then. The payouts made (Stripe's objects).
   */
  runPayouts(asOf?: Date): Promise<Array<{ id: string; amount: number; currency: string; status: string; balance_transaction: string; arrival_date: number }>>;
  /** The PSP's balance in a currency (lower-case), in minor units: available and pending. */
  balance(currency: string): Promise<{ available: number; pending: number }>;
  stop(): Promise<void>;
}

const sandboxMain = fileURLToPath(new URL('../../../sandbox/dist/main.js', import.meta.url));

/**
 * The real sandbox service (its build) on free ports, standing in for Stripe as under npm start.
 * Resolves once it answers. `env` adds variables (STRIPE_WEBHOOK_URL and STRIPE_WEBHOOK_SECRET: where
 * it posts its signed events).
 */
export async function startSandbox({ env = {} }: { env?: Record<string, string> } = {}): Promise<RunningSandbox> {
  const secretKey = 'sk_test_payments_psp_tests_0001';
  const publishableKey = 'pk_test_payments_psp_tests_0001';
  const [port, smtpPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  const sandbox = await startBuiltService({
    name: 'the sandbox',
    file: sandboxMain,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), SMTP_PORT: String(smtpPort), STRIPE_SECRET_KEY: secretKey, STRIPE_PUBLISHABLE_KEY: publishableKey, ...env },
    healthUrl: url,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return {
    url,
    secretKey,
    publishableKey,
    async tokenise(cardNumber) {
      const response = await fetch(`${url}/v1/payment_methods`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${publishableKey}`, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: stripeForm({ type: 'card', card: { number: cardNumber, exp_month: 12, exp_year: new Date().getFullYear() + 3, cvc: '123' } }),
      });
      const body = (await response.json()) as { id?: string; error?: { message?: string } };
      if (!response.ok || !body.id) throw new Error(`the sandbox refused to tokenise the card (${response.status}): ${body.error?.message ?? ''}`);
      return body.id;
    },
    async runPayouts(asOf) {
      const response = await fetch(`${url}/v1/test_helpers/payouts/run`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${secretKey}`, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: asOf ? stripeForm({ as_of: Math.floor(asOf.getTime() / 1000) }) : '',
      });
      const body = (await response.json()) as { data?: Awaited<ReturnType<RunningSandbox['runPayouts']>>; error?: { message?: string } };
      if (!response.ok || !body.data) throw new Error(`the sandbox refused to run the payouts (${response.status}): ${body.error?.message ?? ''}`);
      return body.data;
    },
    async balance(currency) {
      const response = await fetch(`${url}/v1/balance`, { headers: { Authorization: `Bearer ${secretKey}` } });
      const body = (await response.json()) as { available: Array<{ amount: number; currency: string }>; pending: Array<{ amount: number; currency: string }> };
      const of = (side: Array<{ amount: number; currency: string }>) => side.find((f) => f.currency === currency)?.amount ?? 0;
      return { available: of(body.available), pending: of(body.pending) };
    },
    stop: sandbox.stop,
  };
}
