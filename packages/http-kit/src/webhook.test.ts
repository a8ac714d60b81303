import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newWebhookSecret, postWebhook, verifyWebhookSignature, webhookSignature } from './webhook.js';

const received: Array<{ body: string; signature: string }> = [];
let answer = 204;
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => {
    received.push({ body, signature: String(req.headers['tamkeen-signature']) });
    res.writeHead(answer).end();
  });
});
let url: string;

beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
});

describe('webhooks', () => {
  it('signs as Stripe does, and verifies only the right secret, body and a recent time', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_/);
    const header = webhookSignature(secret, '{"a":1}', 1_700_000_000);
    expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    const now = 1_700_000_000_000;
    expect(verifyWebhookSignature(secret, '{"a":1}', header, { now })).toBe(true);
    expect(verifyWebhookSignature(secret, '{"a":2}', header, { now })).toBe(false);
    expect(verifyWebhookSignature(newWebhookSecret(), '{"a":1}', header, { now })).toBe(false);
    expect(verifyWebhookSignature(secret, '{"a":1}', header, { now: now + 301_000 })).toBe(false);
    expect(verifyWebhookSignature(secret, '{"a":1}', 'nonsense', { now })).toBe(false);
  });

  it('posts signed, and says why a post was not acknowledged', async () => {
    const secret = newWebhookSecret();
    expect(await postWebhook(url, secret, '{"x":1}')).toEqual({ delivered: true, status: 204 });
    expect(verifyWebhookSignature(secret, received[0]!.body, received[0]!.signature)).toBe(true);
    answer = 503;
    expect(await postWebhook(url, secret, '{"x":2}')).toEqual({ delivered: false, status: 503, reason: 'answered 503' });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await postWebhook(`http://127.0.0.1:${port}/`, secret, '{}')).toEqual({ delivered: false, reason: 'unreachable: ECONNREFUSED' });
  });
});
