import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '@tamkeen/config';
import { createLogger, serve, type RunningServer } from '@tamkeen/http-kit';
import { logCapture, waitFor } from '@tamkeen/testing';
import twilio from 'twilio';
import type TwilioRequestClient from 'twilio/lib/base/RequestClient.js';
import { createApp } from '../app.js';
import { sandboxConfig } from '../config.js';

const SID = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = 'a-test-auth-token-for-the-sandbox';

/** The official client, pointed at the sandbox instead of api.twilio.com (its custom httpClient). */
class SandboxHttpClient extends twilio.RequestClient {
  constructor(private readonly base: string) {
    super();
  }
  override request<T>(opts: TwilioRequestClient.RequestOptions<T>) {
    return super.request<T>({ ...opts, uri: opts.uri.replace('https://api.twilio.com', this.base) });
  }
}

interface Callback {
  params: Record<string, string>;
  signatureValid: boolean;
}

let sandbox: RunningServer;
let receiver: Server;
let callbackUrl: string;
const callbacks: Callback[] = [];
let client: ReturnType<typeof twilio>;

beforeAll(async () => {
  const config = loadConfig('sandbox', sandboxConfig, { TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: TOKEN, SMS_STEP_DELAY_MS: '0' });
  const logger = createLogger({ service: 'sandbox', destination: logCapture().destination });
  sandbox = await serve(createApp({ config, logger }), { port: 0, host: '127.0.0.1', logger });
  receiver = createServer((req: IncomingMessage, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(raw));
      const signature = String(req.headers['x-twilio-signature'] ?? '');
      callbacks.push({ params, signatureValid: twilio.validateRequest(TOKEN, signature, callbackUrl, params) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/notifications/v1/callbacks/twilio`;
  client = twilio(SID, TOKEN, { httpClient: new SandboxHttpClient(sandbox.url) });
});

afterAll(async () => {
  await sandbox.close();
  await new Promise((resolve) => receiver.close(resolve));
});

const statusesOf = (sid: string) => callbacks.filter((c) => c.params.MessageSid === sid).map((c) => c.params.MessageStatus);

describe('sandbox Twilio Messages API, driven by the official twilio library', () => {
  it('accepts a message, reports queued → sent → delivered to the StatusCallback, signed', async () => {
    const message = await client.messages.create({ to: '+970599123456', from: 'Tamkeen', body: 'رمز التحقق: 482913', statusCallback: callbackUrl });
    expect(message.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(message.status).toBe('queued');
    expect(message.numSegments).toBe('1');
    expect(message.accountSid).toBe(SID);
    await waitFor(() => statusesOf(message.sid).length === 3, { what: 'three status callbacks' });
    expect(statusesOf(message.sid)).toEqual(['queued', 'sent', 'delivered']);
    expect(callbacks.filter((c) => c.params.MessageSid === message.sid).every((c) => c.signatureValid)).toBe(true);
    const fetched = await client.messages(message.sid).fetch();
    expect(fetched.status).toBe('delivered');
    expect(fetched.dateSent).toBeInstanceOf(Date);
  });

  it('counts parts as the handset will: a long Arabic message takes several', async () => {
    const message = await client.messages.create({ to: '+962791234567', from: 'Tamkeen', body: 'ع'.repeat(71) });
    expect(message.numSegments).toBe('2');
  });

  it.each([
    ['+15005550010', ['queued', 'sent', 'undelivered'], '30003'],
    ['+15005550011', ['queued', 'failed'], '30008'],
  ])('reports the documented outcome for %s', async (to, statuses, errorCode) => {
    const message = await client.messages.create({ to, from: 'Tamkeen', body: 'x', statusCallback: callbackUrl });
    await waitFor(() => statusesOf(message.sid).length === statuses.length, { what: 'the status callbacks' });
    expect(statusesOf(message.sid)).toEqual(statuses);
    expect(callbacks.filter((c) => c.params.MessageSid === message.sid).at(-1)?.params.ErrorCode).toBe(errorCode);
  });

  it.each([
    ['Twilio\'s invalid test number', { to: '+15005550001', body: 'x' }, 21211],
    ['Twilio\'s landline test number', { to: '+15005550009', body: 'x' }, 21614],
    ['a number not in E.164', { to: '0599123456', body: 'x' }, 21211],
    ['a body over 1600 characters', { to: '+970599123456', body: 'x'.repeat(1601) }, 21617],
  ])('refuses %s with the matching Twilio error, as the library reports it', async (_what, params, code) => {
    const error = await client.messages.create({ from: 'Tamkeen', ...params }).then(
      () => undefined,
      (e: { code?: number; status?: number; moreInfo?: string }) => e,
    );
    expect(error?.code).toBe(code);
    expect(error?.status).toBe(400);
    expect(error?.moreInfo).toBe(`https://www.twilio.com/docs/errors/${code}`);
  });

  it('refuses a wrong auth token with 20003', async () => {
    const stranger = twilio(SID, 'not-the-token-of-this-account', { httpClient: new SandboxHttpClient(sandbox.url) });
    const error = await stranger.messages.create({ to: '+970599123456', from: 'Tamkeen', body: 'x' }).catch((e: { code?: number; status?: number }) => e);
    expect(error).toMatchObject({ code: 20003, status: 401 });
  });

  it('answers 404 (20404) for a message it never sent', async () => {
    const error = await client.messages('SM00000000000000000000000000000000').fetch().catch((e: { code?: number; status?: number }) => e);
    expect(error).toMatchObject({ code: 20404, status: 404 });
  });

  it('shows what it delivered in the inbox, per phone number', async () => {
    await client.messages.create({ to: '+970569000111', from: 'Tamkeen', body: 'Your code is 111222' });
    const inbox = (await (await fetch(`${sandbox.url}/inbox/api/sms?to=%2B970569000111`)).json()) as { messages: unknown[] };
    expect(inbox.messages).toEqual([expect.objectContaining({ to: '+970569000111', body: 'Your code is 111222' })]);
    const page = await (await fetch(`${sandbox.url}/inbox/sms?to=%2B970569000111`)).text();
    expect(page).toContain('Your code is 111222');
    expect(page).toContain('dir="auto"');
  });
});
