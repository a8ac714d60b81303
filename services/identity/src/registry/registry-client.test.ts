import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair } from 'jose';
import { startRegistry, type RunningRegistry } from '../test-registry.js';
import { testIdentity, type TestIdentity } from '../test-identity.js';
import { registryClient, RegisterUnavailable } from './registry-client.js';

let identity: TestIdentity;
let registry: RunningRegistry;
const CLIENT = 'PS/GOV/MOPAD/identity';

beforeAll(async () => {
  identity = await testIdentity('identity registry client');
  registry = await startRegistry({ client: CLIENT, jwksUri: `${identity.url}/internal/x-road/jwks` });
}, 30_000); // starts real services: seconds on a busy machine
afterAll(async () => {
  await registry.stop();
  await identity.close();
});

describe('asking the citizen register over X-Road', () => {
  it('verifies facts and reads the minimal profile, proving who we are with the published key', async () => {
    const register = registryClient({ baseUrl: registry.url, client: CLIENT, key: identity.xRoadKey });
    expect(await register.verify('900000019', { date_of_birth: '1990-04-12', mother_first_name_ar: 'مريم' })).toBe(true);
    expect(await register.verify('900000019', { date_of_birth: '1990-04-13' })).toBe(false);
    expect(await register.citizen('900000043')).toMatchObject({ status: 'deceased', name: { en: 'Mahmoud Ibrahim Saleh Odeh' } });
    expect(await register.citizen('123456782')).toBeUndefined();
  });

  it('is refused with a key the register does not know, and says the register is unavailable when it is down', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const foreignKey = { ...(await exportJWK(privateKey)), alg: 'ES256', kid: identity.xRoadKey.kid };
    const impostor = registryClient({ baseUrl: registry.url, client: CLIENT, key: foreignKey });
    await expect(impostor.citizen('900000019')).rejects.toBeInstanceOf(RegisterUnavailable);
    const down = registryClient({ baseUrl: 'http://127.0.0.1:1', client: CLIENT, key: identity.xRoadKey });
    await expect(down.verify('900000019', { date_of_birth: '1990-04-12' })).rejects.toThrow(/did not answer/);
  });
});
