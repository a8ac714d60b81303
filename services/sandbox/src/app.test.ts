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

  it('answers the PSP with 501 until it is built', async () => {
    const response = await request(app()).post('/v1/payment_intents');
    expect(response.status).toBe(501);
    expect(response.body.detail).toMatch(/PSP \(issue 5\)/);
  });
});
