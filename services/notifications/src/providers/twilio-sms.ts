import { AsyncLocalStorage } from 'node:async_hooks';
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
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
 * The twilio library's HTTP client (its `httpClient` option), pointed at `baseUrl` and adding the
 * send's idempotency token (the notification id) so that a repeated send is recognised, not sent
 * twice. It speaks plain node:http over kept-alive connections: the library's own client goes
 * through axios, which cost about a tenth of the worker's CPU per SMS (bench/notifications).
 */
class PlatformHttpClient extends twilio.RequestClient {
  private readonly agent: HttpAgent;
  private readonly send: typeof httpRequest;

  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs: number,
  ) {
    super({ timeout: timeoutMs });
    const secure = baseUrl.startsWith('https:');
    this.agent = secure ? new HttpsAgent({ keepAlive: true, maxSockets: 64 }) : new HttpAgent({ keepAlive: true, maxSockets: 64 });
    this.send = secure ? httpsRequest : httpRequest;
  }

  override async request<T>(opts: TwilioRequestClient.RequestOptions<T>): Promise<{ statusCode: number; body: T; headers: IncomingHttpHeaders }> {
    const url = new URL(opts.uri.replace(TWILIO_API, this.baseUrl));
    if (opts.params) for (const [name, value] of formFields(opts.params)) url.searchParams.append(name, value);
    const headers: Record<string, string> = { ...(opts.headers as Record<string, string>), Connection: 'keep-alive' };
    if (opts.username && opts.password) headers.Authorization = `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString('base64')}`;
    const token = idempotencyToken.getStore();
    if (token) headers['I-Twilio-Idempotency-Token'] = token;
    const body = opts.data ? new URLSearchParams(formFields(opts.data)).toString() : undefined;
    if (body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(body));
    return new Promise((resolve, reject) => {
      const req = this.send(url, { method: opts.method.toUpperCase(), headers, agent: this.agent, timeout: opts.timeout ?? this.timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') as T, headers: res.headers }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${this.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', reject);
      req.end(body);
    });
  }
}

/** The library's form fields as name/value pairs; a list repeats its name (Twilio's format). */
function formFields(data: object): Array<[string, string]> {
  return Object.entries(data).flatMap(([name, value]) =>
    value === undefined ? [] : Array.isArray(value) ? value.map((item): [string, string] => [name, String(item)]) : [[name, String(value)] as [string, string]],
  );
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
