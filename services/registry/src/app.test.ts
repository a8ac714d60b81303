import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '@tamkeen/config';
import { openTestStores, type TestStores } from '@tamkeen/db/testing';
import { createLogger } from '@tamkeen/http-kit';
import { logCapture, schemaViolations, startTestIssuer, type TestIssuer } from '@tamkeen/testing';
import request from 'supertest';
import { createApp } from './app.js';
import { registryConfig } from './config.js';
import { migrations } from './db/migrations/index.js';
import { DEMO_CITIZENS } from './seed/demo-citizens.js';
import { seedRegister } from './seed/seed-register.js';

const BASE = '/r1/PS/GOV/MOI/registry';
const IDENTITY = 'PS/GOV/MOPAD/identity';
const AUDITOR = 'PS/GOV/SAACB/audit';

let stores: TestStores;
let identityKeys: TestIssuer;
let auditorKeys: TestIssuer;
const logs = logCapture();
let app: ReturnType<typeof createApp>;

const [layla, omar, abroad, deceased, revoked] = DEMO_CITIZENS as [
  (typeof DEMO_CITIZENS)[number],
  (typeof DEMO_CITIZENS)[number],
  (typeof DEMO_CITIZENS)[number],
  (typeof DEMO_CITIZENS)[number],
  (typeof DEMO_CITIZENS)[number],
];

beforeAll(async () => {
  stores = await openTestStores('registry app', migrations);
  [identityKeys, auditorKeys] = await Promise.all([startTestIssuer(), startTestIssuer()]);
  await seedRegister(stores.knex, { synthetic: 50 });
  const config = loadConfig('registry', registryConfig, {
    DATABASE_URL: stores.db.url,
    REDIS_URL: 'redis://127.0.0.1:6379',
    REDIS_PREFIX: `test-registry-${randomUUID()}`,
    X_ROAD_MEMBERS: JSON.stringify([
      { client: IDENTITY, jwks_uri: identityKeys.jwksUrl, services: ['verify', 'citizens'] },
      { client: AUDITOR, jwks_uri: auditorKeys.jwksUrl, services: ['verify'], lookups_per_minute: 3 },
      { client: 'PS/GOV/MOH/portal', jwks_uri: 'http://127.0.0.1:1/jwks', services: ['verify'] },
    ]),
  });
  app = createApp({ config, logger: createLogger({ service: 'registry', destination: logs.destination }), ...stores });
});
afterAll(async () => {
  await Promise.all([identityKeys.close(), auditorKeys.close()]);
  await stores.close();
});

/** A fresh client assertion of `client`, signed with its key. */
const assertion = (keys: TestIssuer, client: string, claims: Record<string, unknown> = {}, options: { expiresIn?: string } = {}) =>
  keys.sign({ iss: client, sub: client, aud: 'PS/GOV/MOI/registry', jti: randomUUID(), ...claims }, { typ: 'JWT', expiresIn: options.expiresIn ?? '60s' });

async function asIdentity(method: 'get' | 'post', path: string, body?: object) {
  const call = request(app)[method](`${BASE}${path}`).set('X-Road-Client', IDENTITY).set('Authorization', `Bearer ${await assertion(identityKeys, IDENTITY)}`);
  return body === undefined ? call : call.send(body);
}

describe('verify: does this set of facts match the register?', () => {
  it('says yes when every fact given matches, however the name and the digits are typed', async () => {
    const arabicDigits = layla.nationalId.replace(/[0-9]/g, (d) => String.fromCodePoint(0x0660 + Number(d)));
    const response = await asIdentity('post', '/verify', { national_id: arabicDigits, date_of_birth: '1990-04-12', mother_first_name_ar: 'مريم', family_name_ar: 'حدّاد' });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ match: true });
    expect(schemaViolations('registry.yaml', '#/components/schemas/Verification', response.body)).toEqual([]);
  });

  it('says no, and nothing more, when any fact differs or nobody has the number', async () => {
    const wrongDate = await asIdentity('post', '/verify', { national_id: layla.nationalId, date_of_birth: '1990-04-13', mother_first_name_ar: 'مريم' });
    expect(wrongDate.body).toEqual({ match: false });
    const otherMother = await asIdentity('post', '/verify', { national_id: omar.nationalId, date_of_birth: omar.dateOfBirth, mother_first_name_ar: 'مريم' });
    expect(otherMother.body).toEqual({ match: false });
    const nobody = await asIdentity('post', '/verify', { national_id: '123456782', date_of_birth: '1990-04-12' });
    expect(nobody.body).toEqual({ match: false });
  });

  it('refuses a wrong check digit, a request with no fact to check and unknown fields, naming the field', async () => {
    const badDigit = await asIdentity('post', '/verify', { national_id: '900000018', date_of_birth: '1990-04-12' });
    expect(badDigit.status).toBe(400);
    expect(badDigit.body.invalid_params).toEqual([{ name: 'national_id', reason: expect.stringMatching(/check digit/) }]);
    expect(schemaViolations('platform.yaml', '#/components/schemas/Problem', badDigit.body)).toEqual([]);
    const noFact = await asIdentity('post', '/verify', { national_id: layla.nationalId });
    expect(noFact.status).toBe(400);
    expect(noFact.body.invalid_params[0].reason).toMatch(/at least one fact/);
    const badDate = await asIdentity('post', '/verify', { national_id: layla.nationalId, date_of_birth: '12/04/1990' });
    expect(badDate.body.invalid_params).toEqual([{ name: 'date_of_birth', reason: 'must be a date (YYYY-MM-DD)' }]);
    const unknownField = await asIdentity('post', '/verify', { national_id: layla.nationalId, date_of_birth: '1990-04-12', phone: '0599' });
    expect(unknownField.status).toBe(400);
  });
});

describe('citizens: the minimal profile', () => {
  it('gives the name in Arabic and English, the date of birth and whether the person and the card are valid', async () => {
    const response = await asIdentity('get', `/citizens/${layla.nationalId}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      national_id: layla.nationalId,
      name: { ar: 'ليلى أحمد محمود حداد', en: 'Layla Ahmad Mahmoud Haddad' },
      date_of_birth: '1990-04-12',
      sex: 'female',
      status: 'alive',
      card_status: 'valid',
    });
    expect(schemaViolations('registry.yaml', '#/components/schemas/CitizenProfile', response.body)).toEqual([]);
    expect((await asIdentity('get', `/citizens/${deceased.nationalId}`)).body.status).toBe('deceased');
    expect((await asIdentity('get', `/citizens/${revoked.nationalId}`)).body.card_status).toBe('revoked');
    expect((await asIdentity('get', `/citizens/${abroad.nationalId}`)).body.name.en).toBe('Yousef Adel Hasan Al-Barghouti');
  });

  it('answers 404 for a valid number nobody holds and 400 for an impossible one', async () => {
    expect((await asIdentity('get', '/citizens/123456782')).status).toBe(404);
    const impossible = await asIdentity('get', '/citizens/123456789');
    expect(impossible.status).toBe(400);
    expect(impossible.body.invalid_params).toEqual([{ name: 'nationalId', reason: expect.stringMatching(/check digit/) }]);
  });
});

describe('X-Road: who may ask, and the envelope of every answer', () => {
  it('refuses a caller that only names itself, or names a member it cannot prove to be (401)', async () => {
    const bare = await request(app).get(`${BASE}/citizens/${layla.nationalId}`).set('X-Road-Client', IDENTITY);
    expect(bare.status).toBe(401);
    expect(bare.body.code).toBe('invalid_client');
    const unnamed = await request(app).get(`${BASE}/citizens/${layla.nationalId}`).set('Authorization', `Bearer ${await assertion(identityKeys, IDENTITY)}`);
    expect(unnamed.body.code).toBe('unknown_client');
    const stranger = await request(app).get(`${BASE}/citizens/${layla.nationalId}`).set('X-Road-Client', 'PS/COM/ACME/crm').set('Authorization', `Bearer ${await assertion(identityKeys, 'PS/COM/ACME/crm')}`);
    expect(stranger.status).toBe(401);
    expect(stranger.body.code).toBe('unknown_client');
    // The auditor's key cannot speak for identity.
    const impostor = await request(app).get(`${BASE}/citizens/${layla.nationalId}`).set('X-Road-Client', IDENTITY).set('Authorization', `Bearer ${await assertion(auditorKeys, IDENTITY)}`);
    expect(impostor.status).toBe(401);
    const forOtherService = await request(app)
      .get(`${BASE}/citizens/${layla.nationalId}`)
      .set('X-Road-Client', IDENTITY)
      .set('Authorization', `Bearer ${await assertion(identityKeys, IDENTITY, { aud: 'PS/GOV/MOF/tax' })}`);
    expect(forOtherService.status).toBe(401);
    const expired = await request(app)
      .get(`${BASE}/citizens/${layla.nationalId}`)
      .set('X-Road-Client', IDENTITY)
      .set('Authorization', `Bearer ${await assertion(identityKeys, IDENTITY, {}, { expiresIn: '-2m' })}`);
    expect(expired.status).toBe(401);
  });

  it('accepts each client assertion once: a replayed one is refused', async () => {
    const once = await assertion(identityKeys, IDENTITY);
    const call = () => request(app).get(`${BASE}/citizens/${layla.nationalId}`).set('X-Road-Client', IDENTITY).set('Authorization', `Bearer ${once}`);
    expect((await call()).status).toBe(200);
    const replay = await call();
    expect(replay.status).toBe(401);
    expect(replay.body.detail).toMatch(/used before/);
  });

  it('answers 503, not 401, when a member’s keys cannot be fetched', async () => {
    const response = await request(app)
      .post(`${BASE}/verify`)
      .set('X-Road-Client', 'PS/GOV/MOH/portal')
      .set('Authorization', `Bearer ${await assertion(auditorKeys, 'PS/GOV/MOH/portal')}`)
      .send({ national_id: layla.nationalId, date_of_birth: layla.dateOfBirth });
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
  });

  it('refuses a member a service it was not granted (403)', async () => {
    const response = await request(app).get(`${BASE}/citizens/${layla.nationalId}`).set('X-Road-Client', AUDITOR).set('Authorization', `Bearer ${await assertion(auditorKeys, AUDITOR)}`);
    expect(response.status).toBe(403);
    expect(response.body.code).toBe('service_not_granted');
  });

  it('limits each member’s lookups (429 with Retry-After) without slowing the others', async () => {
    const ask = async () =>
      request(app)
        .post(`${BASE}/verify`)
        .set('X-Road-Client', AUDITOR)
        .set('Authorization', `Bearer ${await assertion(auditorKeys, AUDITOR)}`)
        .send({ national_id: omar.nationalId, date_of_birth: omar.dateOfBirth });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await ask()).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await ask();
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await asIdentity('get', `/citizens/${omar.nationalId}`)).status).toBe(200);
  });

  it('answers with the X-Road-Id and the hash of the request, and logs the query without the ID number', async () => {
    const body = JSON.stringify({ national_id: omar.nationalId, date_of_birth: omar.dateOfBirth });
    const response = await request(app)
      .post(`${BASE}/verify`)
      .set('X-Road-Client', IDENTITY)
      .set('X-Road-Id', 'enrol-7f3a')
      .set('Authorization', `Bearer ${await assertion(identityKeys, IDENTITY)}`)
      .set('Content-Type', 'application/json')
      .send(body);
    expect(response.headers['x-road-id']).toBe('enrol-7f3a');
    expect(response.headers['x-road-request-hash']).toBe(createHash('sha512').update(`POST ${BASE}/verify\n${body}`).digest('base64'));
    // One line for the request, saying who asked what and the answer.
    const lines = logs.lines.filter((l) => l.xRoadId === 'enrol-7f3a');
    expect(lines).toEqual([expect.objectContaining({ msg: 'request completed', client: IDENTITY, registerService: 'verify', status: 200, outcome: 'match' })]);
    expect(logs.text()).not.toContain(omar.nationalId);
    // Errors carry the envelope too, with an X-Road-Id of the register's own when none was sent.
    const refused = await request(app).get(`${BASE}/citizens/${omar.nationalId}`);
    expect(refused.headers['x-road-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(refused.headers['x-road-request-hash']).toBeDefined();
  });
});

describe('the register itself', () => {
  it('is seeded once: seeding a register that holds citizens adds nothing', async () => {
    const before = await stores.knex('citizens').count({ n: '*' });
    expect(await seedRegister(stores.knex, { synthetic: 10 })).toBe(0);
    expect(await stores.knex('citizens').count({ n: '*' })).toEqual(before);
    expect(before).toEqual([{ n: String(DEMO_CITIZENS.length + 50) }]);
  });

  it('is ready when its database and Redis answer', async () => {
    expect((await request(app).get('/readyz')).status).toBe(200);
  });

  it('stores only national ID numbers whose check digit is right', async () => {
    const row = { ...(await stores.knex('citizens').where({ national_id: layla.nationalId }).first()), national_id: '123456782' };
    await stores.knex('citizens').insert(row);
    for (const wrong of ['123456789', '12345678', '12345678a']) {
      await expect(stores.knex('citizens').insert({ ...row, national_id: wrong })).rejects.toThrow(/citizens_national_id|value too long/);
    }
    await stores.knex('citizens').where({ national_id: '123456782' }).delete();
  });
});
