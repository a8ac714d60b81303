import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The header that carries a Tamkeen webhook's signature (see `webhookSignature`). */
export const WEBHOOK_SIGNATURE_HEADER = 'Tamkeen-Signature';

/** A fresh signing secret for an organisation's webhook (shown to it once, when set). */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64url')}`;
}

/**
 * `Tamkeen-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, as Stripe signs its
 * webhooks: the receiver recomputes it with its secret and refuses old timestamps (replays).
 */
export function webhookSignature(secret: string, body: string, at = Math.floor(Date.now() / 1000)): string {
  return `t=${at},v1=${createHmac('sha256', secret).update(`${at}.${body}`).digest('hex')}`;
}

/**
 * What a receiver does with a Tamkeen webhook: true when `header` signs `body` with `secret` and
 * its timestamp is within `toleranceSeconds` of now (5 minutes, as Stripe's libraries).
 */
export function verifyWebhookSignature(secret: string, body: string, header: string, { toleranceSeconds = 300, now = Date.now() } = {}): boolean {
  const at = Number(/(?:^|,)t=(\d+)/.exec(header)?.[1]);
  const given = /(?:^|,)v1=([0-9a-f]{64})/.exec(header)?.[1];
  if (!Number.isFinite(at) || !given || Math.abs(now / 1000 - at) > toleranceSeconds) return false;
  const expected = /v1=([0-9a-f]{64})/.exec(webhookSignature(secret, body, at))![1]!;
  return timingSafeEqual(Buffer.from(given, 'hex'), Buffer.from(expected, 'hex'));
}

/** What a webhook post came to: `delivered` on a 2xx; otherwise why not, for the sender's retry and its record. */
export type WebhookPostResult = { delivered: true; status: number } | { delivered: false; status?: number; reason: string };

/**
 * POSTs `body` (JSON) to `url`, signed with `secret`. Redirects are not followed (a receiver
 * answers where it was registered) and a receiver slower than `timeoutMs` counts as not having
 * acknowledged. Never throws: every failure is a `reason` (`answered 503`, `timed out after 10000 ms`,
 * `unreachable: ECONNREFUSED`).
 */
export async function postWebhook(url: string, secret: string, body: string, { timeoutMs = 10_000, headers = {} }: { timeoutMs?: number; headers?: Record<string, string> } = {}): Promise<WebhookPostResult> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/json', [WEBHOOK_SIGNATURE_HEADER]: webhookSignature(secret, body) },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
    });
  } catch (error) {
    return { delivered: false, reason: failureOf(error, timeoutMs) };
  }
  await response.body?.cancel().catch(() => undefined);
  if (response.ok) return { delivered: true, status: response.status };
  return { delivered: false, status: response.status, reason: `answered ${response.status}` };
}

function failureOf(error: unknown, timeoutMs: number): string {
  // Duck-typed: fetch's errors may come from another realm (e.g. under Jest's VM modules).
  const failure = (error ?? {}) as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (failure.name === 'TimeoutError' || failure.name === 'AbortError') return `timed out after ${timeoutMs} ms`;
  return `unreachable: ${failure.cause?.code ?? failure.cause?.message ?? failure.message ?? String(error)}`;
}
