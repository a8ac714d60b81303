import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { logCapture, startTestIssuer, waitFor, type TestIssuer } from '@tamkeen/testing';
import { createLocalJWKSet, type JWK } from 'jose';
import request from 'supertest';
import { accessTokenVerifier, callerOf, createLogger, createServiceApp, resource, requireScope, ServiceUnavailable } from './index.js';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await startTestIssuer({ audience: 'http://notifications.test' });
});
afterAll(() => issuer.close());

function app(jwksUrl = issuer.jwksUrl) {
  const verify = accessTokenVerifier({ jwksUrl, issuer: issuer.issuer, audience: 'http://notifications.test' });
  return createServiceApp({ logger: createLogger({ service: 'test', destination: logCapture().destination }), readiness: {} }, (router) => {
    resource(router, '/notifications', {
      post: [
        requireScope(verify, 'notifications:send'),
        (_req, res) => {
          const caller = callerOf(res);
          res.status(201).json({ organisation: caller.organisationId, client: caller.clientId });
        },
      ],
    });
  });
}

describe('requireScope', () => {
  it('lets a valid token with the scope through, and says whose organisation calls', async () => {
    const token = await issuer.sign({ scope: 'notifications:read notifications:send', organisation_id: 'mof' });
    const response = await request(app()).post('/notifications').set('Authorization', `Bearer ${token}`);
    expect(response.status).toBe(201);
    expect(response.body).toEqual({ organisation: 'mof', client: 'moh-portal' });
  });

  it('checks a token once, then trusts it until it expires, and not a moment longer', async () => {
    const verify = accessTokenVerifier({ jwksUrl: issuer.jwksUrl, issuer: issuer.issuer, audience: 'http://notifications.test', clockToleranceS: 0 });
    const token = await issuer.sign({ scope: 'notifications:send' }, { expiresIn: '2s' });
    const first = await verify(token);
    // The issuer's keys are gone: a token already verified is still recognised, from memory...
    await issuer.close();
    expect(await verify(token)).toBe(first);
    // ...until it expires; then it is checked again, and refused.
    await waitFor(async () => (await verify(token).catch((error: unknown) => error)) instanceof Error, { what: 'the cached token to expire', timeoutMs: 5_000 });
    issuer = await startTestIssuer({ audience: 'http://notifications.test' });
  });

  it('asks for a token when there is none (401 with a Bearer challenge)', async () => {
    const response = await request(app()).post('/notifications');
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="tamkeen"');
    expect(response.headers['content-type']).toMatch(/problem\+json/);
  });

  it('refuses a token with the scope missing (403 insufficient_scope, naming it)', async () => {
    const token = await issuer.sign({ scope: 'notifications:read' });
    const response = await request(app()).post('/notifications').set('Authorization', `Bearer ${token}`);
    expect(response.status).toBe(403);
    expect(response.body.code).toBe('insufficient_scope');
    expect(response.headers['www-authenticate']).toMatch(/error="insufficient_scope".*scope="notifications:send"/);
  });

  it.each([
    ['expired', () => issuer.sign({ scope: 'notifications:send' }, { expiresIn: '-2m' }), /expired/],
    ['for another API', () => issuer.sign({ scope: 'notifications:send', aud: 'http://payments.test' }), /aud claim/],
    ['from another issuer', () => issuer.sign({ scope: 'notifications:send', iss: 'http://elsewhere.test' }), /iss claim/],
    ['an ID token, not an access token', () => issuer.sign({ scope: 'notifications:send' }, { typ: 'JWT' }), /not valid|typ/],
    ['signed with a key the issuer does not publish', async () => issuer.sign({ scope: 'notifications:send' }, { key: await issuer.foreignKey() }), /not valid/],
    ['from a client with no organisation', () => issuer.sign({ scope: 'notifications:send', organisation_id: undefined }), /organisation_id/],
    ['not a JWT at all', async () => 'abc.def.ghi', /not valid/],
  ])('refuses a token that is %s with 401 invalid_token', async (_what, makeToken, detail) => {
    const response = await request(app()).post('/notifications').set('Authorization', `Bearer ${await makeToken()}`);
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('invalid_token');
    expect(response.body.detail).toMatch(detail);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="tamkeen", error="invalid_token"/);
  });

  it('answers 503, not 401, when the issuer’s keys cannot be fetched', async () => {
    const token = await issuer.sign({ scope: 'notifications:send' });
    const response = await request(app('http://127.0.0.1:1/jwks')).post('/notifications').set('Authorization', `Bearer ${token}`);
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
  });

  it('answers 503 when the issuer answers but does not serve its keys (identity not ready)', async () => {
    const notReady = createServer((_req, res) => res.writeHead(501).end());
    await new Promise<void>((resolve) => notReady.listen(0, '127.0.0.1', resolve));
    try {
      const token = await issuer.sign({ scope: 'notifications:send' });
      const { port } = notReady.address() as AddressInfo;
      const response = await request(app(`http://127.0.0.1:${port}/jwks`)).post('/notifications').set('Authorization', `Bearer ${token}`);
      expect(response.status).toBe(503);
    } finally {
      await new Promise((resolve) => notReady.close(resolve));
    }
  });

  it('verifies with keys given directly (an issuer checking its own tokens), and lets the key getter’s own error answer', async () => {
    const { keys } = (await (await fetch(issuer.jwksUrl)).json()) as { keys: JWK[] };
    const local = accessTokenVerifier({ keys: createLocalJWKSet({ keys }), issuer: issuer.issuer, audience: 'http://notifications.test' });
    expect((await local(await issuer.sign({ scope: 'notifications:send' }))).organisationId).toBe('moh');
    await expect(local(await issuer.sign({ scope: 'notifications:send' }, { key: await issuer.foreignKey() }))).rejects.toMatchObject({ status: 401 });
    const storeDown = accessTokenVerifier({
      keys: async () => {
        throw new ServiceUnavailable('The keys cannot be read right now.');
      },
      issuer: issuer.issuer,
      audience: 'http://notifications.test',
    });
    await expect(storeDown(await issuer.sign({ scope: 'notifications:send' }))).rejects.toMatchObject({ status: 503 });
  });

  it('refuses an Authorization header that is not a bearer token', async () => {
    const response = await request(app()).post('/notifications').set('Authorization', 'Basic Zm9vOmJhcg==');
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('invalid_request');
  });
});
