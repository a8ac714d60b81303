import { describe, expect, it } from '@jest/globals';
import { logCapture, schemaViolations } from '@tamkeen/testing';
import request from 'supertest';
import { z } from 'zod';
import { Conflict, createLogger, createServiceApp, jsonBody, notBuilt, PROBLEM_CONTENT_TYPE, requestLogFields, resource, TooManyRequests, validate } from './index.js';

function appWithRoutes(readiness = {}) {
  const logs = logCapture();
  const logger = createLogger({ service: 'test', destination: logs.destination });
  const app = createServiceApp({ logger, readiness }, (router) => {
    router.use(jsonBody('1kb'));
    resource(router, '/things', {
      get: (_req, res) => {
        logger.info('listing things');
        requestLogFields(res).outcome = 'none found';
        res.json([]);
      },
      post: (req, res) => {
        const body = validate(z.object({ name: z.string().min(1), amount: z.number().int() }), req.body);
        res.status(201).json(body);
      },
    });
    resource(router, '/strict', {
      post: (req, res) => {
        res.json(validate(z.strictObject({ name: z.string(), nested: z.strictObject({}).optional() }), req.body));
      },
    });
    resource(router, '/conflict', {
      post: () => {
        throw new Conflict('That reference is taken.', { extensions: { reference: 'A-1' } });
      },
    });
    resource(router, '/busy', {
      get: () => {
        throw new TooManyRequests(undefined, { headers: { 'Retry-After': '30' } });
      },
    });
    resource(router, '/broken', {
      get: async () => {
        throw new Error('connection string postgres://user:pw@db/x exploded');
      },
    });
    notBuilt(router, '/later/v1', 'The later API (issue 9)');
  });
  return { app, logs };
}

describe('request ids', () => {
  it('keeps the caller’s X-Request-Id, echoes it, and puts it on every log line of the request', async () => {
    const { app, logs } = appWithRoutes();
    const response = await request(app).get('/things').set('X-Request-Id', 'abc');
    expect(response.headers['x-request-id']).toBe('abc');
    const ofRequest = logs.lines.filter((line) => line.requestId === 'abc');
    expect(ofRequest.map((line) => line.msg)).toEqual(['listing things', 'request completed']);
    // The route's own fields ride on the request's line.
    expect(ofRequest[1]).toMatchObject({ service: 'test', method: 'GET', url: '/things', status: 200, outcome: 'none found' });
  });

  it('makes a new id when none is sent or the sent one is unsafe', async () => {
    const { app } = appWithRoutes();
    const none = await request(app).get('/things');
    expect(none.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    for (const unsafe of ['a b{"level":"fatal"}', 'x'.repeat(200)]) {
      const response = await request(app).get('/things').set('X-Request-Id', unsafe);
      expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});

describe('problems', () => {
  it('answers an unknown path with a 404 problem carrying the request id', async () => {
    const { app } = appWithRoutes();
    const response = await request(app).get('/nowhere').set('X-Request-Id', 'r-404');
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toBe(PROBLEM_CONTENT_TYPE);
    expect(response.body).toMatchObject({ status: 404, title: 'Not Found', code: 'not_found', instance: '/nowhere', request_id: 'r-404' });
    expect(response.body.type).toMatch(/not-found$/);
    expect(schemaViolations('platform.yaml', '#/components/schemas/Problem', response.body)).toEqual([]);
  });

  it('answers a wrong method with 405 and Allow', async () => {
    const { app } = appWithRoutes();
    const response = await request(app).delete('/things');
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('GET, POST, HEAD, OPTIONS');
    expect(response.body.detail).toMatch(/DELETE is not allowed/);
    const options = await request(app).options('/things');
    expect(options.status).toBe(204);
    expect(options.headers.allow).toBe('GET, POST, HEAD, OPTIONS');
  });

  it('names each invalid field in a 400', async () => {
    const { app } = appWithRoutes();
    const response = await request(app).post('/things').send({ name: '', amount: 1.5 });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('invalid_request');
    expect(response.body.invalid_params.map((p: { name: string }) => p.name).sort()).toEqual(['amount', 'name']);
    expect(schemaViolations('platform.yaml', '#/components/schemas/Problem', response.body)).toEqual([]);
  });

  it('names a field that does not belong by its own name', async () => {
    const { app } = appWithRoutes();
    const response = await request(app).post('/strict').send({ name: 'a', extra: 1, nested: { also: 2 } });
    expect(response.status).toBe(400);
    expect(response.body.invalid_params).toEqual([
      { name: 'nested.also', reason: 'is not a field of this request' },
      { name: 'extra', reason: 'is not a field of this request' },
    ]);
  });

  it('answers malformed JSON with a 400 and an oversized body with a 413', async () => {
    const { app } = appWithRoutes();
    const malformed = await request(app).post('/things').set('Content-Type', 'application/json').send('{"name": ');
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('malformed_body');
    const large = await request(app).post('/things').send({ name: 'x'.repeat(2048), amount: 1 });
    expect(large.status).toBe(413);
    expect(large.headers['content-type']).toBe(PROBLEM_CONTENT_TYPE);
  });

  it('carries extensions and headers of typed errors', async () => {
    const { app } = appWithRoutes();
    const conflict = await request(app).post('/conflict');
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ detail: 'That reference is taken.', reference: 'A-1' });
    const busy = await request(app).get('/busy');
    expect(busy.status).toBe(429);
    expect(busy.headers['retry-after']).toBe('30');
  });

  it('hides the detail of an unexpected error from the caller and logs it', async () => {
    const { app, logs } = appWithRoutes();
    const response = await request(app).get('/broken').set('X-Request-Id', 'r-500');
    expect(response.status).toBe(500);
    expect(response.body.detail).not.toMatch(/exploded|postgres/);
    expect(response.body.request_id).toBe('r-500');
    expect(schemaViolations('platform.yaml', '#/components/schemas/Problem', response.body)).toEqual([]);
    const logged = logs.lines.find((line) => line.msg === 'unhandled error');
    expect(logged?.requestId).toBe('r-500');
    expect(logged?.err.message).toMatch(/exploded/);
  });

  it('answers routes that are not built yet with 501, naming what is coming', async () => {
    const { app } = appWithRoutes();
    for (const path of ['/later/v1', '/later/v1/anything/deeper']) {
      const response = await request(app).post(path);
      expect(response.status).toBe(501);
      expect(response.body.detail).toMatch(/^The later API \(issue 9\) is not built yet/);
    }
  });
});

describe('health', () => {
  it('shares one round of checks among the readiness calls of the same second', async () => {
    let rounds = 0;
    const { app } = appWithRoutes({ postgres: async () => void rounds++ });
    await Promise.all([request(app).get('/readyz'), request(app).get('/readyz'), request(app).get('/readyz')]);
    expect(rounds).toBe(1);
  });

  it('is alive, and ready when every check passes', async () => {
    const { app } = appWithRoutes({ postgres: async () => 1 });
    expect((await request(app).get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await request(app).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', checks: { postgres: { status: 'up' } } });
  });

  it('is not ready, naming what failed, when a check fails or hangs', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const { app } = appWithRoutes({
      postgres: async () => 1,
      redis: () => Promise.reject(refused),
      upstream: () => new Promise(() => undefined),
    });
    const response = await request(app).get('/readyz');
    expect(response.status).toBe(503);
    expect(response.body.status).toBe('not ready');
    expect(response.body.checks.postgres.status).toBe('up');
    expect(response.body.checks.redis).toMatchObject({ status: 'down', error: 'connection refused' });
    expect(response.body.checks.upstream).toMatchObject({ status: 'down', error: 'no answer within 1000 ms' });
  });
});
