import { describe, expect, it } from '@jest/globals';
import { logCapture } from '@tamkeen/testing';
import request from 'supertest';
import { createLogger, createMetrics, createServiceApp, notBuilt, resource } from './index.js';

function app() {
  return createServiceApp(
    { logger: createLogger({ service: 'test', destination: logCapture().destination }), readiness: {}, metrics: createMetrics('test') },
    (router) => {
      resource(router, '/things/:id', { get: (req, res) => void res.json({ id: req.params.id }) });
      notBuilt(router, '/later', 'Later');
    },
  );
}

describe('/metrics', () => {
  it('counts requests by route pattern and status, never by raw path', async () => {
    const served = app();
    await request(served).get('/things/1');
    await request(served).get('/things/2');
    await request(served).get('/later/x');
    await request(served).get('/no/such/path/abc123');
    const response = await request(served).get('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    const text = response.text;
    expect(text).toMatch(/http_request_duration_seconds_count\{service="test",method="GET",route="\/things\/:id",status="200"\} 2/);
    expect(text).toMatch(/http_request_duration_seconds_count\{service="test",method="GET",route="\/later\/\{\*rest\}",status="501"\} 1/);
    expect(text).toMatch(/http_request_duration_seconds_count\{service="test",method="GET",route="unmatched",status="404"\} 1/);
    expect(text).not.toContain('abc123');
    expect(text).toContain('process_cpu_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });
});
