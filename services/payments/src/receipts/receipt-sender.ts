import type { PaymentsConfig } from '../config.js';
import { machineTokens, type MachineTokens } from '../machine-token.js';
import type { ReceiptChannel } from './receipt-queue.js';
import type { ReceiptLanguage, ReceiptText } from './receipt-text.js';

/** One receipt to send: its id is the notification's Idempotency-Key. */
export interface OutgoingReceipt {
  id: string;
  paymentId: string;
  channel: ReceiptChannel;
  address: string;
  language: ReceiptLanguage;
  text: ReceiptText;
}

/**
 * What a send came to: accepted by the notifications service (its notification's id); to be tried
 * again later (it or the network failed, or it is busy: `retryAfterMs` when it said how long); or
 * refused for good (a 400 that the same request will always get, such as an invalid number).
 */
export type SendOutcome = { kind: 'sent'; notificationId: string } | { kind: 'retry'; reason: string; retryAfterMs?: number } | { kind: 'refused'; reason: string };

export interface ReceiptSender {
  send(receipt: OutgoingReceipt): Promise<SendOutcome>;
}

interface ReceiptTemplate {
  name: string;
  type: ReceiptChannel;
  body: { ar: string; en: string };
  subject?: { ar: string; en: string };
}

// The words are receiptText's (one place, both channels): the templates only carry them.
const TEMPLATES: Record<ReceiptChannel, ReceiptTemplate> = {
  sms: { name: 'tamkeen-payment-receipt-sms', type: 'sms', body: { ar: '((receipt))', en: '((receipt))' } },
  email: { name: 'tamkeen-payment-receipt-email', type: 'email', subject: { ar: '((subject))', en: '((subject))' }, body: { ar: '((receipt))', en: '((receipt))' } },
};

interface Problem {
  code?: string;
  detail?: string;
  notification_id?: string;
  invalid_params?: Array<{ name: string; reason: string }>;
}

/** Retryable: the notifications service is down, slow, or answered something a later try may not. */
class Unavailable extends Error {}

export interface NotificationsReceiptSenderOptions {
  /** The notifications service (inside the platform), without /notifications/v1. */
  notificationsUrl: string;
  tokens: MachineTokens;
  timeoutMs?: number;
}

/**
 * Receipts through the notifications API (openapi/notifications.yaml) as payments' machine client:
 * its two templates are found by name or made on first use (as identity's code sender does), then
 * POST /sms or /email with the receipt's id as Idempotency-Key, so a send repeated after a crash
 * answers the first notification instead of sending again.
 */
export function notificationsReceiptSender({ notificationsUrl, tokens, timeoutMs = 10_000 }: NotificationsReceiptSenderOptions): ReceiptSender {
  const base = `${notificationsUrl.replace(/\/$/, '')}/notifications/v1`;
  const templateIds = new Map<ReceiptChannel, Promise<string>>();

  /** One call with a token; a token refused (401) is dropped and the call made once more with a new one. */
  async function call(method: string, path: string, { body, idempotencyKey }: { body?: object; idempotencyKey?: string } = {}): Promise<Response> {
    for (let attempt = 1; ; attempt++) {
      let token: string;
      try {
        token = await tokens.token();
      } catch (error) {
        throw new Unavailable(`no access token: ${(error as Error).message}`);
      }
      let response: Response;
      try {
        response = await fetch(`${base}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            ...(body ? { 'content-type': 'application/json' } : {}),
            ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
          },
          body: body ? JSON.stringify(body) : undefined,
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        throw new Unavailable(`the notifications service did not answer: ${String((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name)}`);
      }
      if (response.status !== 401 || attempt === 2) return response;
      await response.body?.cancel();
      tokens.invalidate(token);
    }
  }

  /** Our template for `channel`, found or made once per process (a failure is forgotten, to be tried again). */
  function templateId(channel: ReceiptChannel): Promise<string> {
    let id = templateIds.get(channel);
    if (!id) {
      const spec = TEMPLATES[channel];
      const find = async () => {
        const listed = await call('GET', '/templates');
        if (!listed.ok) throw new Unavailable(`listing the templates answered ${listed.status}`);
        return ((await listed.json()) as { templates: Array<{ id: string; name: string }> }).templates.find((t) => t.name === spec.name)?.id;
      };
      id = (async () => {
        const found = await find();
        if (found) return found;
        const created = await call('POST', '/templates', { body: spec });
        if (created.status === 201) return ((await created.json()) as { id: string }).id;
        // Another instance made it first.
        const raced = created.status === 409 ? await find() : undefined;
        if (raced) return raced;
        throw new Unavailable(`making the template ${spec.name} answered ${created.status}`);
      })();
      id.catch(() => templateIds.delete(channel));
      templateIds.set(channel, id);
    }
    return id;
  }

  async function send(receipt: OutgoingReceipt): Promise<SendOutcome> {
    const template = await templateId(receipt.channel);
    const common = { template_id: template, reference: receipt.paymentId, language: receipt.language === 'en' ? 'en' : 'ar', priority: 'normal' };
    const body =
      receipt.channel === 'sms'
        ? { phone_number: receipt.address, ...common, personalisation: { receipt: receipt.text.sms } }
        : { email_address: receipt.address, ...common, personalisation: { subject: receipt.text.email.subject, receipt: receipt.text.email.body } };
    const path = receipt.channel === 'sms' ? '/sms' : '/email';
    const response = await call('POST', path, { body, idempotencyKey: receipt.id });
    if (response.status === 201) return { kind: 'sent', notificationId: ((await response.json()) as { id: string }).id };
    const problem = (await response.json().catch(() => ({}))) as Problem;
    const said = `${path} answered ${response.status}${problem.code ? ` ${problem.code}` : ''}`;
    // The key was used before with other words (a send that got through, then the wording changed): that notification is the receipt.
    if (response.status === 422 && problem.code === 'idempotency_key_reused' && problem.notification_id) return { kind: 'sent', notificationId: problem.notification_id };
    if (response.status === 400) {
      const params = problem.invalid_params ?? [];
      if (params.some((p) => p.name === 'template_id')) {
        templateIds.delete(receipt.channel);
        return { kind: 'retry', reason: `${said}: the template was not found; it is looked up again` };
      }
      return { kind: 'refused', reason: `${said}: ${params.map((p) => `${p.name} ${p.reason}`).join('; ') || problem.detail || 'bad request'}` };
    }
    if (response.status === 429) {
      const seconds = Number(response.headers.get('retry-after'));
      return { kind: 'retry', reason: said, ...(Number.isFinite(seconds) && seconds > 0 ? { retryAfterMs: seconds * 1000 } : {}) };
    }
    return { kind: 'retry', reason: said };
  }

  return {
    async send(receipt) {
      try {
        return await send(receipt);
      } catch (error) {
        if (error instanceof Unavailable) return { kind: 'retry', reason: error.message };
        throw error;
      }
    },
  };
}

/** The scopes payments asks for: sending, and reading templates and notifications back. */
export const NOTIFICATIONS_SCOPE = 'notifications:send notifications:read';

/** The sender the configuration describes, or none when NOTIFICATIONS_URL is unset (config.ts requires the rest with it). */
export function receiptSenderFromConfig(config: Pick<PaymentsConfig, 'NOTIFICATIONS_URL' | 'NOTIFICATIONS_AUDIENCE' | 'PLATFORM_TOKEN_URL' | 'PLATFORM_CLIENT_ID' | 'PLATFORM_CLIENT_SECRET'>): ReceiptSender | undefined {
  const { NOTIFICATIONS_URL, NOTIFICATIONS_AUDIENCE, PLATFORM_TOKEN_URL, PLATFORM_CLIENT_ID, PLATFORM_CLIENT_SECRET } = config;
  if (!NOTIFICATIONS_URL || !PLATFORM_TOKEN_URL || !PLATFORM_CLIENT_ID || !PLATFORM_CLIENT_SECRET) return undefined;
  const tokens = machineTokens({ tokenUrl: PLATFORM_TOKEN_URL, clientId: PLATFORM_CLIENT_ID, clientSecret: PLATFORM_CLIENT_SECRET, scope: NOTIFICATIONS_SCOPE, ...(NOTIFICATIONS_AUDIENCE ? { resource: NOTIFICATIONS_AUDIENCE } : {}) });
  return notificationsReceiptSender({ notificationsUrl: NOTIFICATIONS_URL, tokens });
}
