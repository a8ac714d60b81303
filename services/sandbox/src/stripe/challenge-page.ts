import { escapeHtml, resource } from '@tamkeen/http-kit';
import type { IRouter, Response } from 'express';
import type { ChargeContext } from './charges.js';
import { CURRENCIES, formatAmount } from './currencies.js';
import { completeChallenge, openChallenge } from './payment-intents.js';
import type { PaymentIntentRecord, StripeState } from './state.js';

export const CHALLENGE_PATH = '/stripe/3d-secure';

function page(res: Response, status: number, title: string, body: string): void {
  res
    .status(status)
    .type('html')
    .setHeader('Cache-Control', 'no-store')
    .send(
      `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}button{font-size:1rem;padding:.6rem 1.2rem;margin:.25rem}.note{color:#555;font-size:.9rem}</style>
</head><body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>`,
    );
}

function returnTo(pi: PaymentIntentRecord): string | undefined {
  if (!pi.returnUrl) return undefined;
  const url = new URL(pi.returnUrl);
  url.searchParams.set('payment_intent', pi.id);
  url.searchParams.set('payment_intent_client_secret', pi.clientSecret);
  url.searchParams.set('redirect_status', pi.status === 'succeeded' ? 'succeeded' : 'failed');
  return url.toString();
}

/**
 * The 3-D Secure test page a `requires_action` PaymentIntent redirects the cardholder to, as
 * Stripe's own test page: "Complete" or "Fail" authentication, then back to the return_url with
 * `payment_intent`, `payment_intent_client_secret` and `redirect_status`. Plain HTML, no script.
 */
export function challengePage(router: IRouter, state: StripeState, context: () => ChargeContext): void {
  resource(router, `${CHALLENGE_PATH}/:challenge`, {
    get: (req, res) => {
      const challenge = String(req.params.challenge);
      const pi = openChallenge(state, challenge);
      if (!pi) return page(res, 404, '3D Secure authentication', '<p>This authentication is not pending any more.</p>');
      const currency = CURRENCIES[pi.currency];
      const amount = currency ? formatAmount(pi.amount, currency) : `${pi.amount} ${pi.currency}`;
      page(
        res,
        200,
        '3D Secure 2 Test Page',
        `<p>Tamkeen sandbox PSP: this is a test payment of <strong>${escapeHtml(amount)}</strong>${pi.description ? ` for ${escapeHtml(pi.description)}` : ''}.</p>
<p class="note">In a live payment the card issuer would ask the cardholder to prove who they are here.</p>
<form method="post" action="${escapeHtml(`${CHALLENGE_PATH}/${challenge}`)}">
<button type="submit" name="outcome" value="complete">Complete</button>
<button type="submit" name="outcome" value="fail">Fail</button>
</form>`,
      );
    },
    post: (req, res) => {
      const challenge = String(req.params.challenge);
      const outcome = (req.body as Record<string, unknown> | undefined)?.outcome;
      if (outcome !== 'complete' && outcome !== 'fail') return page(res, 400, '3D Secure authentication', '<p>Choose Complete or Fail.</p>');
      const pi = completeChallenge(state, challenge, outcome === 'complete', context());
      if (!pi) return page(res, 404, '3D Secure authentication', '<p>This authentication is not pending any more.</p>');
      const location = returnTo(pi);
      if (location) return void res.redirect(303, location);
      page(res, 200, '3D Secure authentication', `<p>Authentication ${pi.status === 'succeeded' ? 'completed' : 'failed'}. You may close this page.</p>`);
    },
  });
}
