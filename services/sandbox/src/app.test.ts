import { describe, expect, it } from '@jest/globals';
import { createLogger } from '@tamkeen/http-kit';
import { logCapture } from '@tamkeen/testing';
import request from 'supertest';
import { createApp } from './app.js';
import { sandboxConfig } from './config.js';
import { loadConfig } from '@tamkeen/config';

const app = () => createApp({ config: loadConfig('sandbox', sandboxConfig, {}), logger: createLogger({ service: 'sandbox', destination: logCapture().destination }) });

describe('sandbox skeleton', () => {
  it('is alive and ready (it depends on nothing)', async () => {
    expect((await request(app()).get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await request(app()).get('/readyz')).body).toEqual({ status: 'ready', checks: {} });
  });

  it('answers the PSP as Stripe does: without an API key, a 401 in Stripe\'s error shape', async () => {
    const response = await request(app()).post('/v1/payment_intents');
    expect(response.status).toBe(401);
    expect(response.body.error).toMatchObject({ type: 'invalid_request_error', message: expect.stringMatching(/did not provide an API key/) });
  });
});
