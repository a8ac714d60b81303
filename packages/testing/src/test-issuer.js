// A stand-in for the enterprise issuer in tests, until identity issues tokens: a real key pair,
// its JWKS served over HTTP, and RFC 9068 access tokens signed with it. Real verification, no bypass.
import { createServer } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

/**
 * @param {{ issuer?: string, audience?: string }} [options]
 */
export async function startTestIssuer({ issuer = 'http://issuer.test/auth/enterprise', audience = 'http://api.test' } = {}) {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key-1', alg: 'ES256', use: 'sig' };
  let jwksRequests = 0;
  const server = createServer((req, res) => {
    jwksRequests++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    issuer,
    audience,
    jwksUrl: `http://127.0.0.1:${address.port}/jwks`,
    get jwksRequests() {
      return jwksRequests;
    },
    /**
     * An access token; claims override the defaults (a client of organisation `moh` with no scope).
     * @param {Record<string, unknown>} [claims]
     * @param {{ expiresIn?: string | number, typ?: string, key?: CryptoKey, kid?: string }} [options]
     */
    async sign(claims = {}, { expiresIn = '5m', typ = 'at+jwt', key = privateKey, kid = 'test-key-1' } = {}) {
      // Claims given here win over the defaults, iss and aud included.
      return new SignJWT({ iss: issuer, aud: audience, client_id: 'moh-portal', organisation_id: 'moh', ...claims })
        .setProtectedHeader({ alg: 'ES256', typ, kid })
        .setIssuedAt()
        .setExpirationTime(expiresIn)
        .sign(key);
    },
    /** A key the issuer does not publish, to sign forged tokens with. */
    async foreignKey() {
      return (await generateKeyPair('ES256')).privateKey;
    },
    close() {
      return new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}
