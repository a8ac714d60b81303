import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header Stripe signs its webhooks in. */
export const STRIPE_SIGNATURE_HEADER = 'Stripe-Signature';

/** Stripe's default tolerance: a signature older (or newer) than 5 minutes is refused, against replays. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export type SignatureCheck = { valid: true; timestamp: number } | { valid: false; reason: string };

/**
 * Stripe's webhook signature (https://docs.stripe.com/webhooks#verify-manually):
 * `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>[,v1=…][,v0=…]`.
 * The raw body exactly as received is what is signed (never a re-serialised parse); any of the
 * `v1` signatures may match (several during a secret's rotation; other schemes are ignored); the
 * comparison is constant-time; a timestamp more than `toleranceSeconds` from now is refused.
 *
 * Not the scheme of our own outgoing webhooks (`Tamkeen-Signature`, @tamkeen/http-kit): the same
 * idea, but this one is Stripe's, with its several signatures and its secret as given (`whsec_…`).
 */
export function verifyStripeSignature(
  secret: string,
  rawBody: Buffer,
  header: string | undefined,
  { toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS, now = Date.now() }: { toleranceSeconds?: number; now?: number } = {},
): SignatureCheck {
  if (!header) return { valid: false, reason: `no ${STRIPE_SIGNATURE_HEADER} header` };
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    if (at < 0) continue;
    const key = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) signatures.push(Buffer.from(value, 'hex'));
  }
  if (timestamp === undefined) return { valid: false, reason: 'no timestamp (t=) in the signature header' };
  if (signatures.length === 0) return { valid: false, reason: 'no v1 signature in the signature header' };
  const expected = createHmac('sha256', secret).update(`${timestamp}.`, 'utf8').update(rawBody).digest();
  // Every signature is compared (no early exit), each in constant time.
  let matched = false;
  for (const given of signatures) matched = timingSafeEqual(given, expected) || matched;
  if (!matched) return { valid: false, reason: 'no signature matches the body with the secret' };
  if (Math.abs(now / 1000 - timestamp) > toleranceSeconds) return { valid: false, reason: `the timestamp is more than ${toleranceSeconds} seconds from now` };
  return { valid: true, timestamp };
}

/** Signs a body as Stripe does: for tests, and for replaying an event by hand. */
export function stripeSignatureHeader(secret: string, rawBody: string | Buffer, timestamp = Math.floor(Date.now() / 1000)): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.`, 'utf8').update(rawBody).digest('hex');
  return `t=${timestamp},v1=${v1}`;
}
