import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger, webhookSignature } from '@tamkeen/http-kit';
import { logCapture, waitFor } from '@tamkeen/testing';
import { Queue } from 'bullmq';
import request from 'supertest';
import { twilioSmsProvider } from '../providers/twilio-sms.js';
import { startSandbox, type RunningSandbox } from '../test-sandbox.js';
import { testNotifications, type TestNotifications } from '../test-app.js';
import { smtpEmailProvider } from './email-provider.js';
import { LANE_QUEUES } from './lanes.js';
import { startWorkers, type RunningWorkers } from './workers.js';
import { createDeliveryMetrics, workerApp } from './worker-metrics.js';
import { startWebhookWorker, WEBHOOK_QUEUE } from './webhooks.js';

let service: TestNotifications;
let sandbox: RunningSandbox;
let workers: RunningWorkers;
let send: string;
let smsTemplate: string;
let emailTemplate: string;
const email = { close: () => undefined } as { close(): void };
const metrics = createDeliveryMetrics();
let webhookWorker: { close(): Promise<void> };
// The ministry's webhook receiver.
const posts: Array<{ body: string; signature: string }> = [];
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => {
    posts.push({ body, signature: String(req.headers['tamkeen-signature'] ?? '') });
    // The first post fails, as a busy receiver would: it must be tried again.
    res.writeHead(posts.length === 1 ? 503 : 204).end();
  });
});

// The app listens for real: the sandbox posts delivery callbacks to it, signed for this address.
const front = createServer((req, res) => service.app(req, res));
let callbackUrl: string;

beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  callbackUrl = `http://127.0.0.1:${(front.address() as AddressInfo).port}/notifications/v1/callbacks/twilio`;
  [service, sandbox] = await Promise.all([testNotifications('notifications delivery', { smsStatusCallbackUrl: callbackUrl }), startSandbox()]);
  send = await service.bearer('notifications:send');
  const emailProvider = smtpEmailProvider({ smtpUrl: `smtp://127.0.0.1:${sandbox.smtpPort}`, from: 'Tamkeen <no-reply@tamkeen.test>', domain: 'tamkeen.test' });
  email.close = () => emailProvider.close();
  webhookWorker = startWebhookWorker({ connection: service.blockingConnection(), prefix: service.queuePrefix, knex: service.stores.knex, logger: createLogger({ service: 'w', destination: logCapture().destination }) });
  workers = startWorkers({
    metrics,
    statusChanges: service.statusChanges,
    knex: service.stores.knex,
    sms: twilioSmsProvider({ accountSid: sandbox.accountSid, authToken: sandbox.authToken, baseUrl: sandbox.url, from: 'Tamkeen' }),
    email: emailProvider,
    smsStatusCallback: callbackUrl,
    logger: createLogger({ service: 'notifications-worker', destination: logCapture().destination }),
    prefix: service.queuePrefix,
    connection: service.blockingConnection,
  });
  const create = (body: object) => request(service.app).post('/notifications/v1/templates').set('Authorization', send).send(body);
  smsTemplate = (await create({ name: 'code', type: 'sms', body: { ar: 'رمز التحقق: ((code))', en: 'Your code is ((code))' } })).body.id;
  emailTemplate = (
    await create({ name: 'receipt', type: 'email', subject: { ar: 'إيصال ((ref))', en: 'Receipt ((ref))' }, body: { ar: 'استلمنا دفعتك.', en: 'We received your payment.' } })
  ).body.id;
});

afterAll(async () => {
  await new Promise((resolve) => front.close(resolve));
  await new Promise((resolve) => receiver.close(resolve));
  await workers.close();
  await webhookWorker.close();
  email.close();
  await Promise.all([sandbox.stop(), service.close()]);
});

const statusOf = async (id: string) => (await service.stores.knex('notifications').where({ id }).first<{ status: string; provider_reference: string | null; attempts: number }>())!;

async function sandboxSms(to: string): Promise<Array<{ body: string }>> {
  return ((await (await fetch(`${sandbox.url}/inbox/api/sms?to=${encodeURIComponent(to)}`)).json()) as { messages: Array<{ body: string }> }).messages;
}

describe('delivery through the queue', () => {
  it('hands an accepted one-time code to the SMS provider on the priority lane', async () => {
    const accepted = await request(service.app)
      .post('/notifications/v1/sms')
      .set('Authorization', send)
      .send({ phone_number: '0599 777 001', template_id: smsTemplate, personalisation: { code: '482913' }, priority: 'high' });
    expect(accepted.status).toBe(201);
    // created → sending → sent → delivered, the last two from the provider's signed callbacks.
    await waitFor(async () => (await statusOf(accepted.body.id)).status === 'delivered', { what: 'the code to be delivered' });
    expect(await statusOf(accepted.body.id)).toMatchObject({ attempts: 1, provider_reference: expect.stringMatching(/^SM/) });
    expect(await sandboxSms('+970599777001')).toEqual([expect.objectContaining({ body: 'رمز التحقق: 482913' })]);
    const read = await request(service.app).get(`/notifications/v1/notifications/${accepted.body.id}`).set('Authorization', send);
    expect(read.body.status).toBe('delivered');
    // This organisation has no webhook yet: nothing was queued to tell it.
    const webhookPosts = new Queue(WEBHOOK_QUEUE, { connection: service.stores.redis, prefix: service.queuePrefix });
    expect(await webhookPosts.getJobs()).toEqual([]);
    await webhookPosts.close();
  });

  it('records what the provider reports when a message cannot be delivered: temporary-failure', async () => {
    const accepted = await request(service.app)
      .post('/notifications/v1/sms')
      .set('Authorization', send)
      .send({ phone_number: '+1 500 555 0010', template_id: smsTemplate, personalisation: { code: '1' }, language: 'en' });
    expect(accepted.status).toBe(201);
    await waitFor(async () => (await statusOf(accepted.body.id)).status === 'temporary-failure', { what: 'the undelivered status' });
  });

  it('delivers an e-mail over SMTP, multipart with right-to-left HTML for Arabic, and records its Message-ID', async () => {
    const accepted = await request(service.app)
      .post('/notifications/v1/email')
      .set('Authorization', send)
      .send({ email_address: 'amal@example.org', template_id: emailTemplate, personalisation: { ref: 'MOH-9' } });
    await waitFor(async () => (await statusOf(accepted.body.id)).status === 'delivered', { what: 'the e-mail to be delivered' });
    expect((await statusOf(accepted.body.id)).provider_reference).toBe(`<${accepted.body.id}@tamkeen.test>`);
    const inbox = (await (await fetch(`${sandbox.url}/inbox/api/email?to=amal@example.org`)).json()) as { messages: Array<Record<string, string>> };
    expect(inbox.messages[0]).toMatchObject({ subject: 'إيصال MOH-9', text: 'استلمنا دفعتك.' });
    expect(inbox.messages[0]?.html).toContain('dir="rtl"');
  });

  it('puts a one-time code sent by e-mail on the priority lane, and other e-mail on the bulk lane', async () => {
    const bulk = await Promise.all(
      Array.from({ length: 3 }, (_, i) =>
        request(service.app).post('/notifications/v1/email').set('Authorization', send).send({ email_address: `bulk-${i}@example.org`, template_id: emailTemplate, personalisation: { ref: `B-${i}` } }),
      ),
    );
    const code = await request(service.app)
      .post('/notifications/v1/email')
      .set('Authorization', send)
      .send({ email_address: 'abroad@example.org', template_id: emailTemplate, personalisation: { ref: 'CODE' }, priority: 'high' });
    expect(code.status).toBe(201);
    expect(code.body.priority).toBe('high');
    expect(bulk.map((r) => r.body.priority)).toEqual(['normal', 'normal', 'normal']);
    expect(await service.stores.knex('notifications').where({ id: code.body.id }).first('lane')).toEqual({ lane: 'priority' });
    await waitFor(async () => (await statusOf(code.body.id)).status === 'delivered', { what: 'the e-mailed code to be delivered' });
  });

  it('does not retry a message the provider refuses for good: permanent-failure after one try', async () => {
    // Twilio's invalid test number: the sandbox refuses it as Twilio would (21211). Written as the
    // API writes notifications, then queued, so the worker meets it exactly once.
    const id = randomUUID();
    await service.stores.knex('notifications').insert({
      id,
      organisation_id: 'moh',
      client_id: 'moh-portal',
      type: 'sms',
      lane: 'bulk',
      recipient: '+15005550001',
      template_id: smsTemplate,
      template_version: 1,
      language: 'en',
      body: 'Your code is 1',
      request_hash: 'test',
    });
    await service.lanes.add('bulk', id);
    await waitFor(async () => (await statusOf(id)).status === 'permanent-failure', { what: 'the refusal to be recorded' });
    expect(await statusOf(id)).toMatchObject({ attempts: 1, provider_reference: null });
    // The queue gave up at once, although three tries are allowed.
    const queue = new Queue(LANE_QUEUES.bulk, { connection: service.stores.redis, prefix: service.queuePrefix });
    try {
      const job = await waitFor(async () => {
        const found = await queue.getJob(id);
        return found && (await found.getState()) === 'failed' && found;
      }, { what: 'the job to fail' });
      expect(job.attemptsMade).toBe(1);
    } finally {
      await queue.close();
    }
  });

  it('counts sends and failures per lane on the worker’s /metrics', async () => {
    const text = (await request(workerApp({ logger: createLogger({ service: 'notifications-worker', destination: logCapture().destination }), stores: service.stores, metrics })).get('/metrics')).text;
    const has = (name: string, labels: string) =>
      text.split('\n').some((line) => line.startsWith(`${name}{`) && labels.split(',').every((l) => line.includes(l)) && !/ 0$/.test(line));
    expect(has('notifications_sent_total', 'lane="priority",type="sms"')).toBe(true);
    expect(has('notifications_sent_total', 'lane="bulk",type="email"')).toBe(true);
    expect(has('notifications_failed_total', 'lane="bulk",kind="permanent"')).toBe(true);
    expect(has('notifications_delivery_latency_seconds_count', 'lane="priority",type="sms"')).toBe(true);
  });

  it('answers /readyz on the worker when PostgreSQL and Redis do', async () => {
    const ready = await request(workerApp({ logger: createLogger({ service: 'notifications-worker', destination: logCapture().destination }), stores: service.stores, metrics })).get('/readyz');
    expect(ready.status).toBe(200);
  });

  it('posts each status change to the organisation’s webhook, signed, retrying a receiver that failed', async () => {
    const set = await request(service.app)
      .put('/notifications/v1/webhook')
      .set('Authorization', send)
      .send({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/tamkeen-status` });
    expect(set.status).toBe(200);
    const secret: string = set.body.secret;
    const wrong = await request(service.app).put('/notifications/v1/webhook').set('Authorization', send).send({ url: 'ftp://example.org/x' });
    expect(wrong.body.invalid_params).toEqual([{ name: 'url', reason: 'must be an http(s) URL' }]);
    expect(secret).toMatch(/^whsec_/);
    expect((await request(service.app).get('/notifications/v1/webhook').set('Authorization', send)).body).toEqual({ url: set.body.url });

    const accepted = await request(service.app)
      .post('/notifications/v1/email')
      .set('Authorization', send)
      .send({ email_address: 'webhook@example.org', template_id: emailTemplate, personalisation: { ref: 'W-1' }, reference: 'W-1' });
    const statusesPosted = () =>
      posts.map((p) => JSON.parse(p.body) as { id: string; status: string }).filter((p) => p.id === accepted.body.id).map((p) => p.status);
    await waitFor(() => statusesPosted().filter((s) => s === 'delivered').length >= 1 && statusesPosted().includes('sending'), {
      what: `the webhook posts (got ${JSON.stringify(posts.map((p) => p.body))})`,
      timeoutMs: 10_000,
    });
    // The receiver refused the first post (503): that same status was posted again.
    const first = JSON.parse(posts[0]!.body) as { status: string };
    await waitFor(() => statusesPosted().filter((status) => status === first.status).length >= 2, { what: 'the refused post to be retried' });
    for (const post of posts) {
      const at = Number(/t=(\d+)/.exec(post.signature)?.[1]);
      expect(post.signature).toBe(webhookSignature(secret, post.body, at));
    }
    expect(JSON.parse(posts.find((p) => p.body.includes('"delivered"'))!.body)).toMatchObject({ id: accepted.body.id, reference: 'W-1', type: 'email', status: 'delivered' });
  });
});
