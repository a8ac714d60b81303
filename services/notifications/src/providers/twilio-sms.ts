import { AsyncLocalStorage } from 'node:async_hooks';
import twilio from 'twilio';
import type TwilioRequestClient from 'twilio/lib/base/RequestClient.js';
import { SmsNotSent, type OutgoingSms, type SmsProvider } from './sms-provider.js';

export interface TwilioSmsOptions {
  accountSid: string;
  authToken: string;
  /** Twilio's API (https://api.twilio.com) or a compatible one: the sandbox in development. */
  baseUrl: string;
  /** A sender id or number, or a Messaging Service (MG…) that picks one per country. */
  from: string;
  timeoutMs?: number;
}

const TWILIO_API = 'https://api.twilio.com';
const idempotencyToken = new AsyncLocalStorage<string>();

/**
 * The twilio library's HTTP client, pointed at `baseUrl`, adding the send's idempotency token
 * (the notification id) so that a repeated send is recognised, not sent twice.
 */
class PlatformHttpClient extends twilio.RequestClient {
  constructor(
    private readonly baseUrl: string,
    timeoutMs: number,
  ) {
    super({ timeout: timeoutMs, keepAlive: true });
  }

  override request<T>(opts: TwilioRequestClient.RequestOptions<T>) {
    const token = idempotencyToken.getStore();
    const headers = token ? { ...opts.headers, 'I-Twilio-Idempotency-Token': token } : opts.headers;
    return super.request<T>({ ...opts, headers, uri: opts.uri.replace(TWILIO_API, this.baseUrl) });
  }
}

export function twilioSmsProvider({ accountSid, authToken, baseUrl, from, timeoutMs = 10_000 }: TwilioSmsOptions): SmsProvider {
  const client = twilio(accountSid, authToken, { httpClient: new PlatformHttpClient(baseUrl.replace(/\/$/, ''), timeoutMs) });
  const sender = from.startsWith('MG') ? { messagingServiceSid: from } : { from };
  return {
    async send(sms: OutgoingSms) {
      try {
        const message = await idempotencyToken.run(sms.notificationId, () =>
          client.messages.create({ to: sms.to, body: sms.body, ...sender, ...(sms.statusCallback ? { statusCallback: sms.statusCallback } : {}) }),
        );
        return { providerId: message.sid };
      } catch (error) {
        throw notSent(error);
      }
    },
  };
}

function notSent(error: unknown): SmsNotSent {
  const { status, code, message } = error as { status?: number; code?: number | string; message?: string };
  if (typeof status === 'number') {
    // 4xx: Twilio refused this request and will again (an invalid number, an unsubscribed one...),
    // except 429 (too many requests) and 401/403, which are ours to fix and then retry.
    const permanent = status >= 400 && status < 500 && status !== 429 && status !== 401 && status !== 403;
    return new SmsNotSent(`Twilio answered ${status}${typeof code === 'number' ? ` (error ${code})` : ''}: ${message ?? ''}`, permanent, typeof code === 'number' ? code : undefined);
  }
  return new SmsNotSent(`Twilio could not be reached: ${typeof code === 'string' ? code : (message ?? String(error))}`, false);
}
