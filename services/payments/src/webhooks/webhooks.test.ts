import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger, verifyWebhookSignature } from '@tamkeen/http-kit';
import { logCapture, schemaViolations, waitFor } from '@tamkeen/testing';
import request from 'supertest';
import { paymentRepository } from '../payments/payment-repository.js';
import { testPayments, type TestPayments } from '../test-payments.js';
import { backoffDelay, startOutboxRelay, type OutboxRelay, type RelayOptions } from './outbox-relay.js';

let service: TestPayments;
let base: string;
const violations = (schema: string, body: unknown) => schemaViolations('payments.yaml', `#/components/schemas/${schema}`, body);

// The ministries' receivers: /<name> answers what `answers[name]` says next (200 when it says nothing).
interface Post {
  path: string;
  body: string;
  signature: string;
}
const posts: Post[] = [];
const answers: Record<string, number[]> = {};
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => {
    const path = req.url ?? '/';
    posts.push({ path, body, signature: String(req.headers['tamkeen-signature'] ?? '') });
    res.writeHead(answers[path.slice(1)]?.shift() ?? 200).end();
  });
});

const relays: OutboxRelay[] = [];
function relay(options: Partial<RelayOptions> = {}): OutboxRelay {
  const started = startOutboxRelay({ knex: service.stores.knex, logger: createLogger({ service: 'relay', destination: logCapture().destination }), pollMs: 10, backoffMs: 10, maxBackoffMs: 40, timeoutMs: 2_000, ...options });
  relays.push(started);
  return started;
}

beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  service = await testPayments('payments webhooks');
});
afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.stop()));
});
afterAll(async () => {
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
  await service.close();
});

/** Registers `organisation`'s endpoint at /<organisation> and answers its secret. */
async function register(organisation: string): Promise<string> {
  const set = await request(service.app).put('/payments/v1/webhook').set('Authorization', await service.bearer('payments:write', organisation)).send({ url: `${base}/${organisation}` });
  expect(set.status).toBe(200);
  return set.body.secret as string;
}

async function createPayment(organisation: string, reference = `REF-${randomUUID().slice(0, 8)}`): Promise<string> {
  const created = await request(service.app)
    .post('/payments/v1/payments')
    .set('Authorization', await service.bearer('payments:write', organisation))
    .set('Idempotency-Key', randomUUID())
    .send({ amount: 5_000, currency: 'ILS', reference, description: 'Licence fee', return_url: 'https://licences.example.gov.ps/paid' });
  expect(created.status).toBe(201);
  return created.body.id as string;
}

/** The notices posted about `paymentId`, in the order they arrived. */
const postsAbout = (paymentId: string) => posts.map((p) => ({ ...p, event: JSON.parse(p.body) as { id: string; type: string; data: { payment: { id: string; status: string } } } })).filter((p) => p.event.data.payment.id === paymentId);

const outboxOf = (paymentId: string) => service.stores.knex('outbox').where({ payment_id: paymentId }).orderBy('seq').select<{ id: string; status: string; attempts: number; event_type: string }[]>('id', 'status', 'attempts', 'event_type');

describe('registering the webhook', () => {
  it('sets the URL with a new secret shown once, shows it, and removes it', async () => {
    const write = await service.bearer('payments:write', 'mot');
    const set = await request(service.app).put('/payments/v1/webhook').set('Authorization', write).send({ url: 'https://transport.example.gov.ps/tamkeen' });
    expect(set.status).toBe(200);
    expect(violations('WebhookSet', set.body)).toEqual([]);
    expect(set.body.secret).toMatch(/^whsec_/);
    const shown = await request(service.app).get('/payments/v1/webhook').set('Authorization', write);
    expect(shown.body).toEqual({ url: 'https://transport.example.gov.ps/tamkeen' });
    expect(violations('Webhook', shown.body)).toEqual([]);
    const again = await request(service.app).put('/payments/v1/webhook').set('Authorization', write).send({ url: 'https://transport.example.gov.ps/v2' });
    expect(again.body.secret).not.toBe(set.body.secret);
    expect((await request(service.app).delete('/payments/v1/webhook').set('Authorization', write)).status).toBe(204);
    const gone = await request(service.app).get('/payments/v1/webhook').set('Authorization', write);
    expect(gone.status).toBe(404);
    const readOnly = await request(service.app).get('/payments/v1/webhook').set('Authorization', await service.bearer('payments:read', 'mot'));
    expect(readOnly.status).toBe(403);
  });

  it.each([
    ['ftp', 'ftp://example.org/hook', 'must be an https URL (http only for localhost)'],
    ['plain http to another host', 'http://example.org/hook', 'must be an https URL (http only for localhost)'],
    ['not a URL', 'not a url', 'must be an https URL (http only for localhost)'],
    ['over 2000 characters', `https://example.org/${'x'.repeat(2_000)}`, 'must be at most 2000 characters'],
  ])('refuses %s with a 400 naming the url', async (_label, url, reason) => {
    const refused = await request(service.app).put('/payments/v1/webhook').set('Authorization', await service.bearer('payments:write', 'mot')).send({ url });
    expect(refused.status).toBe(400);
    expect(refused.body.invalid_params).toEqual([{ name: 'url', reason }]);
  });

  it('refuses a missing url and unknown fields', async () => {
    const refused = await request(service.app).put('/payments/v1/webhook').set('Authorization', await service.bearer('payments:write', 'mot')).send({ uri: 'https://x.example' });
    expect(refused.status).toBe(400);
    expect(refused.body.invalid_params).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'url' })]));
  });
});

describe('the outbox', () => {
  it('posts every change of a payment, signed and verifiable, in the order the changes were made', async () => {
    const secret = await register('mof');
    const id = await createPayment('mof');
    const payments = paymentRepository(service.stores.knex, { publicUrl: 'http://localhost:8080' });
    for (const event of ['start', 'submit', 'succeed'] as const) expect((await payments.transition(id, event)).outcome).toBe('applied');
    relay();
    await waitFor(() => postsAbout(id).length >= 4, { what: 'four notices' });
    const received = postsAbout(id);
    expect(received.map((p) => p.event.type)).toEqual(['payment.created', 'payment.started', 'payment.submitted', 'payment.succeeded']);
    for (const post of received) {
      expect(post.path).toBe('/mof');
      expect(verifyWebhookSignature(secret, post.body, post.signature)).toBe(true);
      expect(verifyWebhookSignature('whsec_another', post.body, post.signature)).toBe(false);
      expect(violations('WebhookEvent', post.event)).toEqual([]);
    }
    expect(received[1]!.event).toMatchObject({ data: { payment: { id, status: 'started', next_url: `http://localhost:8080/pay/${id}` }, event: { event: 'start', from_status: 'created', to_status: 'started' } } });
    await waitFor(async () => (await outboxOf(id)).every((r) => r.status === 'delivered'), { what: 'the rows marked delivered' });

    const listed = await request(service.app).get('/payments/v1/webhook/deliveries?status=delivered&limit=2').set('Authorization', await service.bearer('payments:write', 'mof'));
    expect(listed.status).toBe(200);
    expect(violations('WebhookDeliveryList', listed.body)).toEqual([]);
    expect(listed.body.deliveries.map((d: { type: string }) => d.type)).toEqual(['payment.succeeded', 'payment.submitted']);
    const next = await request(service.app).get(`/payments/v1/webhook/deliveries?status=delivered&limit=2&cursor=${listed.body.next_cursor}`).set('Authorization', await service.bearer('payments:write', 'mof'));
    expect(next.body.deliveries.map((d: { type: string }) => d.type)).toEqual(['payment.started', 'payment.created']);
    const wrong = await request(service.app).get('/payments/v1/webhook/deliveries?status=lost').set('Authorization', await service.bearer('payments:write', 'mof'));
    expect(wrong.status).toBe(400);
    expect(wrong.body.invalid_params).toEqual([expect.objectContaining({ name: 'status' })]);
  });

  it('retries an endpoint that answers 500 until it answers 200, in order, and dead-letters one that never does', async () => {
    await register('moh');
    answers.moh = [500, 500, 503];
    const id = await createPayment('moh');
    await paymentRepository(service.stores.knex).transition(id, 'cancel');
    const patient = relay({ maxAttempts: 10 });
    await waitFor(async () => (await outboxOf(id)).every((r) => r.status === 'delivered'), { what: 'the notices delivered after the failures' });
    await patient.stop();
    const received = postsAbout(id);
    // The first notice was refused three times and posted a fourth; only then the second went.
    expect(received.map((p) => p.event.type)).toEqual(['payment.created', 'payment.created', 'payment.created', 'payment.created', 'payment.cancelled']);
    expect((await outboxOf(id)).map((r) => r.attempts)).toEqual([4, 1]);

    await register('moe');
    answers.moe = Array.from({ length: 50 }, () => 500);
    const doomed = await createPayment('moe');
    relay({ maxAttempts: 3 });
    await waitFor(async () => (await outboxOf(doomed))[0]?.status === 'failed', { what: 'the notice dead-lettered' });
    const failed = await request(service.app).get('/payments/v1/webhook/deliveries?status=failed').set('Authorization', await service.bearer('payments:write', 'moe'));
    expect(violations('WebhookDeliveryList', failed.body)).toEqual([]);
    expect(failed.body.deliveries).toEqual([expect.objectContaining({ payment_id: doomed, type: 'payment.created', status: 'failed', attempts: 3, last_error: 'answered 500', delivered_at: null })]);
    expect(postsAbout(doomed)).toHaveLength(3);
  });

  it('keeps what is pending while no relay runs, and a new relay delivers it', async () => {
    await register('mol');
    const first = relay();
    await first.stop();
    const id = await createPayment('mol');
    await paymentRepository(service.stores.knex).transition(id, 'start');
    expect((await outboxOf(id)).map((r) => r.status)).toEqual(['pending', 'pending']);
    relay();
    await waitFor(() => postsAbout(id).length === 2, { what: 'the pending notices' });
    expect(postsAbout(id).map((p) => p.event.type)).toEqual(['payment.created', 'payment.started']);
  });

  it('posts each row once with two relays running at once', async () => {
    await register('mow');
    const ids = await Promise.all(Array.from({ length: 15 }, () => createPayment('mow')));
    const repository = paymentRepository(service.stores.knex);
    await Promise.all(ids.map((id) => repository.transition(id, 'start')));
    relay({ batchSize: 4 });
    relay({ batchSize: 4 });
    await waitFor(async () => (await service.stores.knex('outbox').whereIn('payment_id', ids).where('status', 'pending').count<{ count: string }[]>('* as count'))[0]!.count === '0', { what: 'all 30 notices delivered' });
    const postedIds = posts.filter((p) => p.path === '/mow').map((p) => (JSON.parse(p.body) as { id: string }).id);
    expect(postedIds).toHaveLength(30);
    expect(new Set(postedIds).size).toBe(30);
    for (const id of ids) expect(postsAbout(id).map((p) => p.event.type)).toEqual(['payment.created', 'payment.started']);
  });

  it('writes no row for a transition that rolled back', async () => {
    const id = await createPayment('moj');
    const before = await outboxOf(id);
    await expect(
      paymentRepository(service.stores.knex).transition(id, 'cancel', {
        onApplied: async () => {
          throw new Error('the work after the move failed');
        },
      }),
    ).rejects.toThrow('the work after the move failed');
    expect(await outboxOf(id)).toEqual(before);
    expect(before.map((r) => r.event_type)).toEqual(['payment.created']);
    expect((await paymentRepository(service.stores.knex).byId(id))!.status).toBe('created');
  });

  it('skips what is due while the organisation has no endpoint', async () => {
    const id = await createPayment('mon');
    relay();
    await waitFor(async () => (await outboxOf(id))[0]?.status === 'skipped', { what: 'the notice skipped' });
    expect(postsAbout(id)).toEqual([]);
  });

  it('backs off exponentially, with jitter, up to a cap', () => {
    expect([1, 2, 3, 4, 10].map((n) => backoffDelay(n, 1_000, 5_000, () => 1))).toEqual([1_000, 2_000, 4_000, 5_000, 5_000]);
    expect(backoffDelay(2, 1_000, 5_000, () => 0)).toBe(1_000);
  });
});
