import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createRedis, closeRedis, type Redis } from '@tamkeen/db';
import { createTestDatabase, type TestDatabase } from '@tamkeen/db/testing';
import { createLogger, PROBLEM_CONTENT_TYPE, serve, type RunningServer } from '@tamkeen/http-kit';
import { logCapture, schemaViolations, waitFor } from '@tamkeen/testing';
import { createApp, type GatewayApp } from './app.js';
import { gatewayConfig } from './config.js';
import { migrations } from './db/migrations/index.js';
import { closedPort, TestUpstream } from './test-upstream.js';
import { loadConfig } from '@tamkeen/config';
import request from 'supertest';
import { firstSegment } from './proxy/front-door.js';
import { clientAddressOf } from './proxy/forwarded.js';

let db: TestDatabase;
let redis: Redis;
let identity: TestUpstream;
let payments: TestUpstream;
let notificationsPort: number;
let app: GatewayApp;
let gateway: RunningServer;
const logs = logCapture();

beforeAll(async () => {
  db = await createTestDatabase('gateway', migrations);
  redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', 'gateway-test');
  identity = await new TestUpstream().start();
  payments = await new TestUpstream().start();
  notificationsPort = await closedPort();
  const config = loadConfig('gateway', gatewayConfig, {
    DATABASE_URL: db.url,
    REDIS_URL: 'redis://127.0.0.1:6379',
    IDENTITY_URL: identity.url,
    PAYMENTS_URL: payments.url,
    NOTIFICATIONS_URL: `http://127.0.0.1:${notificationsPort}`,
    UPSTREAM_TIMEOUT_MS: '300',
  });
  const logger = createLogger({ service: 'gateway', destination: logs.destination });
  app = createApp({ config, logger, knex: db.knex, redis });
  gateway = await serve(app, { port: 0, host: '127.0.0.1', logger, shutdownTimeoutMs: 1_000, listener: app.listener });
});

afterAll(async () => {
  await gateway.close();
  app.upstreamAgents.forEach((agent) => agent.destroy());
  await Promise.all([identity.stop(), payments.stop(), closeRedis(redis), db.drop()]);
});

beforeEach(() => {
  identity.seen.length = 0;
  payments.seen.length = 0;
});

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
  json: () => any;
}

const problemViolations = (body: unknown) => schemaViolations('platform.yaml', '#/components/schemas/Problem', body);
const readinessViolations = (body: unknown) => schemaViolations('platform.yaml', '#/components/schemas/Readiness', body);

function send(path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${gateway.url}${path}`, { method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) });
      });
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

describe('routing', () => {
  it.each([
    ['/auth/citizen/.well-known/openid-configuration', 'identity'],
    ['/auth', 'identity'],
    ['/identity/v1/clients?kind=machine', 'identity'],
    ['/payments/v1/payments?status=created&page=2', 'payments'],
    ['/pay/pay_123', 'payments'],
    ['/finance/reports/daily', 'payments'],
  ])('sends %s to %s, path and query unchanged', async (path, service) => {
    const response = await send(path);
    expect(response.status).toBe(200);
    expect(response.json().url).toBe(path);
    const upstream = service === 'identity' ? identity : payments;
    expect(upstream.seen.map((r) => r.url)).toContain(path);
  });

  it.each(['/r1/PS/GOV/MOI/registry/verify', '/v1/payment_intents', '/2010-04-01/Accounts/AC1/Messages.json', '/paying', '/authx', '/identityx', '/internal/x-road/jwks'])(
    'does not expose %s (registry, sandbox, or a lookalike prefix)',
    async (path) => {
      const response = await send(path, { method: 'POST' });
      expect(response.status).toBe(404);
      expect(response.headers['content-type']).toBe(PROBLEM_CONTENT_TYPE);
      expect(problemViolations(response.json())).toEqual([]);
      expect(identity.seen.length + payments.seen.length).toBe(0);
    },
  );

  it('passes the method, the body and end-to-end headers, and answers with the upstream’s status and headers', async () => {
    const response = await send('/payments/v1/payments', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'k-1', authorization: 'Bearer t' },
      body: '{"amount":1000}',
    });
    const echoed = response.json();
    expect(echoed.method).toBe('POST');
    expect(echoed.body).toBe('{"amount":1000}');
    expect(echoed.headers).toMatchObject({ 'idempotency-key': 'k-1', authorization: 'Bearer t', 'content-type': 'application/json' });
    expect(response.headers['x-upstream']).toBe('yes');
  });
});

describe('headers', () => {
  it('passes X-Request-Id on, and echoes it to the caller', async () => {
    const response = await send('/payments/v1/anything', { headers: { 'x-request-id': 'abc' } });
    expect(response.json().headers['x-request-id']).toBe('abc');
    expect(response.headers['x-request-id']).toBe('abc');
    expect(logs.lines.some((l) => l.requestId === 'abc' && l.url === '/payments/v1/anything' && l.status === 200)).toBe(true);
  });

  it('gives a request without an id a new one that the upstream sees too', async () => {
    const response = await send('/pay/x');
    const id = response.headers['x-request-id'];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.json().headers['x-request-id']).toBe(id);
  });

  it('sets X-Forwarded-For/-Proto/-Host, replacing what an untrusted client claims', async () => {
    const response = await send('/pay/x', {
      headers: { host: 'tamkeen.example', 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' },
    });
    const headers = response.json().headers;
    expect(headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(headers['x-forwarded-proto']).toBe('http');
    expect(headers['x-forwarded-host']).toBe('tamkeen.example');
    expect(headers.host).toBe(`127.0.0.1:${payments.port}`);
  });

  it('passes on no other spelling of forwarded claims', async () => {
    const response = await send('/pay/x', { headers: { forwarded: 'for=6.6.6.6', 'x-real-ip': '6.6.6.6', 'x-forwarded-port': '443' } });
    const headers = response.json().headers;
    expect(headers.forwarded).toBeUndefined();
    expect(headers['x-real-ip']).toBeUndefined();
    expect(headers['x-forwarded-port']).toBeUndefined();
  });

  it.each([
    [0, '6.6.6.6', '10.0.0.9'],
    [1, '203.0.113.7', '10.0.0.9'],
    [1, '6.6.6.6, 203.0.113.7', '10.0.0.9'],
    [2, '6.6.6.6, 203.0.113.7, 10.0.0.5', '10.0.0.9'],
  ])('with %i trusted hops, X-Forwarded-For %s from %s resolves to the real client', (hops, chain, peer) => {
    const req = { headers: { 'x-forwarded-for': chain }, socket: { remoteAddress: peer } } as unknown as IncomingMessage;
    expect(clientAddressOf(req, hops)).toBe(hops === 0 ? peer : '203.0.113.7');
  });

  it('strips hop-by-hop headers both ways, including those named by Connection', async () => {
    payments.behaviours.set('/payments/v1/hop', (_req, res) => {
      res.writeHead(200, { 'keep-alive': 'timeout=99', 'x-internal-hop': 'secret', connection: 'x-internal-hop', 'x-kept': '1' });
      res.end('ok');
    });
    const response = await send('/payments/v1/hop', {
      headers: { connection: 'x-client-hop', 'x-client-hop': 'drop-me', 'proxy-authorization': 'Basic Zm9v', te: 'trailers', 'x-end-to-end': 'keep' },
    });
    const seen = payments.seen.at(-1)!.headers;
    expect(seen['x-client-hop']).toBeUndefined();
    expect(seen['proxy-authorization']).toBeUndefined();
    expect(seen.te).toBeUndefined();
    expect(seen['x-end-to-end']).toBe('keep');
    expect(response.headers['x-internal-hop']).toBeUndefined();
    expect(response.headers['keep-alive']).not.toBe('timeout=99');
    expect(response.headers['x-kept']).toBe('1');
  });

  it('keeps every Set-Cookie header of the upstream', async () => {
    payments.behaviours.set('/pay/cookies', (_req, res) => {
      res.setHeader('set-cookie', ['a=1; HttpOnly', 'b=2; Secure']);
      res.end('ok');
    });
    expect((await send('/pay/cookies')).headers['set-cookie']).toEqual(['a=1; HttpOnly', 'b=2; Secure']);
  });
});

describe('streaming', () => {
  it('delivers the first bytes of a response before the upstream has finished it', async () => {
    let finish!: () => void;
    payments.behaviours.set('/payments/v1/export', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.write('id,amount\n');
      finish = () => res.end('p1,1000\n');
    });
    const response = await new Promise<IncomingMessage>((resolve) => httpRequest(`${gateway.url}/payments/v1/export`, resolve).end());
    const first = await new Promise<string>((resolve) => response.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    expect(first).toBe('id,amount\n');
    const rest: string[] = [];
    response.on('data', (chunk: Buffer) => rest.push(chunk.toString()));
    const ended = new Promise((resolve) => response.on('end', resolve));
    finish();
    await ended;
    expect(rest.join('')).toBe('p1,1000\n');
  });

  it('delivers the first bytes of a request body before the client has finished sending it', async () => {
    let received = '';
    payments.behaviours.set('/finance/statements', (req, res) => {
      req.on('data', (chunk: Buffer) => (received += chunk.toString()));
      req.on('end', () => res.end(`got ${received.length}`));
    });
    const upload = httpRequest(`${gateway.url}/finance/statements`, { method: 'POST', headers: { 'content-type': 'text/plain' } });
    const answer = new Promise<string>((resolve) => upload.on('response', (res) => res.on('data', (c: Buffer) => resolve(c.toString()))));
    upload.write('first part;');
    await waitFor(() => received === 'first part;', { what: 'the first part to reach the upstream' });
    upload.end('second part');
    expect(await answer).toBe('got 22');
  });

  it('lets an upload that keeps streaming run longer than the upstream timeout (a time without traffic, not a deadline)', async () => {
    // A day's settlement report is read and stored as it arrives, for longer than UPSTREAM_TIMEOUT_MS (300 ms here).
    let received = '';
    payments.behaviours.set('/payments/v1/reconciliation/settlement-reports', (req, res) => {
      req.on('data', (chunk: Buffer) => (received += chunk.toString()));
      req.on('end', () => res.end(`stored ${received.length}`));
    });
    const upload = httpRequest(`${gateway.url}/payments/v1/reconciliation/settlement-reports`, { method: 'POST', headers: { 'content-type': 'text/csv' } });
    const answer = new Promise<{ status: number; body: string }>((resolve) => upload.on('response', (res) => res.on('data', (c: Buffer) => resolve({ status: res.statusCode!, body: c.toString() }))));
    const started = Date.now();
    for (let part = 0; part < 6; part++) {
      upload.write('line\n');
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    upload.end('last\n');
    expect(await answer).toEqual({ status: 200, body: 'stored 35' });
    expect(Date.now() - started).toBeGreaterThan(800);
  });

  it('carries a large body through intact', async () => {
    const body = 'x'.repeat(5 * 1024 * 1024);
    const response = await send('/payments/v1/big', { method: 'PUT', body, headers: { 'content-type': 'text/plain' } });
    expect(response.json().body.length).toBe(body.length);
  });
});

describe('failures', () => {
  it('answers 502 problem+json at once when the upstream is down', async () => {
    const started = Date.now();
    const response = await send('/notifications/v1/sms', { method: 'POST', headers: { 'x-request-id': 'down-1' } });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(response.status).toBe(502);
    expect(response.headers['content-type']).toBe(PROBLEM_CONTENT_TYPE);
    expect(response.json()).toMatchObject({ status: 502, request_id: 'down-1', instance: '/notifications/v1/sms' });
    expect(response.json().detail).toMatch(/notifications service is unavailable/);
    expect(problemViolations(response.json())).toEqual([]);
  });

  it('answers 504 problem+json when the upstream does not answer in time', async () => {
    payments.behaviours.set('/payments/v1/slow', () => undefined);
    const response = await send('/payments/v1/slow', { headers: { 'x-request-id': 'slow-1' } });
    expect(response.status).toBe(504);
    expect(response.json()).toMatchObject({ status: 504, request_id: 'slow-1' });
    expect(response.json().detail).toMatch(/payments service did not answer within 300 ms/);
    expect(problemViolations(response.json())).toEqual([]);
  });

  it('passes the upstream’s own problem answers through unchanged', async () => {
    payments.behaviours.set('/payments/v1/missing', (_req, res) => {
      res.writeHead(404, { 'content-type': PROBLEM_CONTENT_TYPE }).end('{"status":404,"title":"Not Found"}');
    });
    const response = await send('/payments/v1/missing');
    expect(response.status).toBe(404);
    expect(response.json()).toEqual({ status: 404, title: 'Not Found' });
  });
});

describe('broken exchanges', () => {
  it('stops the upstream work when the client goes away, and does not repeat it', async () => {
    let arrivals = 0;
    let upstreamSawClose = false;
    payments.behaviours.set('/pay/abandoned', (req) => {
      arrivals++;
      req.socket.once('close', () => (upstreamSawClose = true));
    });
    // A pooled connection first, so that a repeat would be tempting.
    await send('/pay/warm');
    const client = httpRequest(`${gateway.url}/pay/abandoned`);
    client.on('error', () => undefined);
    client.end();
    await waitFor(() => arrivals === 1, { what: 'the request to reach the upstream' });
    client.destroy();
    await waitFor(() => upstreamSawClose, { what: 'the upstream connection to close' });
    await send('/pay/warm');
    expect(arrivals).toBe(1);
  });

  it('cuts a response short, and says so in the log, when the upstream stalls after its headers', async () => {
    payments.behaviours.set('/payments/v1/stall', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.write('id,amount\n');
    });
    const outcome = await new Promise<string>((resolve) => {
      httpRequest(`${gateway.url}/payments/v1/stall`, { headers: { 'x-request-id': 'stall-1' } }, (res) => {
        res.on('data', () => undefined);
        res.on('error', () => resolve('broken'));
        res.on('end', () => resolve(res.complete ? 'complete' : 'broken'));
      }).end();
    });
    expect(outcome).toBe('broken');
    expect(logs.lines.some((l) => l.requestId === 'stall-1' && /stopped sending its response for 300 ms/.test(l.msg))).toBe(true);
  });
});

describe('pooled connections', () => {
  it('repeats a GET once on a fresh connection when a pooled one was closed by the upstream, but never a POST', async () => {
    // A connection that has already served this path is cut, as an upstream that restarted would.
    const dropping = () => {
      const served = new WeakSet<object>();
      return (req: IncomingMessage, res: ServerResponse) => {
        if (served.has(req.socket)) return void req.socket.destroy();
        served.add(req.socket);
        res.end('fresh');
      };
    };
    payments.behaviours.set('/pay/flaky', dropping());
    payments.behaviours.set('/payments/v1/flaky', dropping());
    expect((await send('/pay/flaky')).body).toBe('fresh');
    const repeated = await send('/pay/flaky');
    expect(repeated.status).toBe(200);
    expect(repeated.body).toBe('fresh');

    expect((await send('/payments/v1/flaky', { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } })).status).toBe(200);
    const post = await send('/payments/v1/flaky', { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } });
    expect(post.status).toBe(502);
  });
});

describe('readiness', () => {
  it('lists every upstream and names the one that is not ready; recovers without a restart when it comes back', async () => {
    const before = await send('/readyz');
    expect(before.status).toBe(503);
    const body = before.json();
    expect(readinessViolations(body)).toEqual([]);
    expect(body.checks).toMatchObject({
      postgres: { status: 'up' },
      redis: { status: 'up' },
      identity: { status: 'up' },
      payments: { status: 'up' },
      notifications: { status: 'down', error: 'connection refused' },
    });

    const notifications = await new TestUpstream().start(notificationsPort);
    try {
      await waitFor(async () => (await send('/readyz')).status === 200, { what: 'the gateway to see notifications ready' });
      const response = await send('/notifications/v1/sms', { method: 'POST', body: '{}' });
      expect(response.status).toBe(200);
      expect(notifications.seen.at(-1)?.url).toBe('/notifications/v1/sms');
    } finally {
      await notifications.stop();
    }
    expect((await send('/notifications/v1/sms', { method: 'POST' })).status).toBe(502);
  });

  it('reports an upstream whose own readiness fails, with the reason it gives', async () => {
    identity.behaviours.set('/readyz', (_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"not ready","checks":{"postgres":{"status":"down"},"redis":{"status":"up"}}}');
    });
    try {
      // Readiness answers are shared for up to a second, so the change shows on a later call.
      const response = await waitFor(async () => {
        const answer = await send('/readyz');
        return answer.status === 503 && answer;
      }, { what: 'the gateway to report identity not ready' });
      expect(response.json().checks.identity).toMatchObject({ status: 'down', error: 'its /readyz answered 503 (postgres down)' });
    } finally {
      identity.behaviours.delete('/readyz');
    }
  });
});

describe('metrics', () => {
  it('records proxied requests by upstream prefix on /metrics', async () => {
    await send('/pay/metrics-1');
    await send('/pay/metrics-2');
    const text = (await send('/metrics')).body;
    expect(text).toMatch(/http_request_duration_seconds_count\{service="gateway",method="GET",route="\/pay\/\{\*rest\}",status="200"\} \d+/);
    expect(text).not.toContain('metrics-1');
  });
});

describe('front door', () => {
  it.each([
    ['/pay', '/pay'],
    ['/pay/x/y', '/pay'],
    ['/pay?lang=ar', '/pay'],
    ['/payments/v1', '/payments'],
    ['/', '/'],
  ])('takes the first segment of %s', (url, segment) => {
    expect(firstSegment(url)).toBe(segment);
  });

  it('proxies the same way when the app is used directly, without the front door', async () => {
    const response = await request(app).post('/payments/v1/payments?x=1').set('X-Request-Id', 'plain-1').send({ amount: 1 });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ url: '/payments/v1/payments?x=1', body: '{"amount":1}' });
    expect(response.body.headers['x-request-id']).toBe('plain-1');
  });
});
