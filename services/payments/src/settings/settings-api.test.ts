import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { schemaViolations } from '@tamkeen/testing';
import request from 'supertest';
import { testPayments, type TestPayments } from '../test-payments.js';

let service: TestPayments;
let write: string;
let read: string;

beforeAll(async () => {
  service = await testPayments('payment settings api');
  write = await service.bearer('payments:write');
  read = await service.bearer('payments:read');
});
afterAll(() => service.close());

const violations = (schema: string, body: unknown) => schemaViolations('payments.yaml', `#/components/schemas/${schema}`, body);
const passports = { service_name: { ar: 'وزارة الداخلية — جوازات السفر', en: 'Ministry of Interior — Passports' }, login_required_above: { ILS: 50_000, JOD: 100_000 } };

const put = (body: unknown, token = write) => request(service.app).put('/payments/v1/settings').set('Authorization', token).send(body as object);
const get = (token = read) => request(service.app).get('/payments/v1/settings').set('Authorization', token);

describe('payment settings', () => {
  it('answers 404 until they are set, saying what the page shows meanwhile', async () => {
    const none = await get(await service.bearer('payments:read', 'mol'));
    expect(none.status).toBe(404);
    expect(none.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(none.body).toMatchObject({ code: 'no_payment_settings', detail: expect.stringContaining('(mol)') });
    expect(schemaViolations('platform.yaml', '#/components/schemas/Problem', none.body)).toEqual([]);
  });

  it('sets them with payments:write and reads them back with payments:read, as the spec describes', async () => {
    const set = await put(passports);
    expect(set.status).toBe(200);
    expect(violations('PaymentSettings', set.body)).toEqual([]);
    expect(set.body).toMatchObject({ organisation_id: 'moi', ...passports });
    const got = await get();
    expect(got.status).toBe(200);
    expect(violations('PaymentSettings', got.body)).toEqual([]);
    expect(got.body).toEqual(set.body);
    expect(violations('PaymentSettingsInput', passports)).toEqual([]);
  });

  it('replaces them whole: a threshold left out is gone; names are trimmed', async () => {
    const set = await put({ service_name: { ar: '  وزارة الداخلية  ', en: 'Ministry of Interior ' } });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ service_name: { ar: 'وزارة الداخلية', en: 'Ministry of Interior' }, login_required_above: {} });
    expect((await put({ ...passports, login_required_above: { USD: 0 } })).body.login_required_above).toEqual({ USD: 0 });
    await put(passports);
  });

  it('shows and sets only the caller’s own organisation’s', async () => {
    const theirs = await get(await service.bearer('payments:read', 'moh'));
    expect(theirs.status).toBe(404);
    const healthWrite = await service.bearer('payments:write', 'moh');
    const health = await put({ service_name: { ar: 'وزارة الصحة', en: 'Ministry of Health' } }, healthWrite);
    expect(health.body.organisation_id).toBe('moh');
    expect((await get()).body.service_name.en).toBe('Ministry of Interior — Passports');
    expect((await get(healthWrite)).body.service_name.en).toBe('Ministry of Health');
  });

  it('needs a token, payments:read to read and payments:write to set', async () => {
    expect((await request(service.app).get('/payments/v1/settings')).status).toBe(401);
    expect((await get('Bearer nonsense')).status).toBe(401);
    expect((await get(await service.bearer('notifications:send'))).status).toBe(403);
    expect((await get(write)).status).toBe(200);
    const refused = await put(passports, read);
    expect(refused.status).toBe(403);
    expect((await request(service.app).delete('/payments/v1/settings').set('Authorization', write)).status).toBe(405);
  });

  it.each([
    [{ login_required_above: {} }, ['service_name']],
    [{ service_name: { ar: 'وزارة' } }, ['service_name.en']],
    [{ service_name: { ar: '   ', en: 'x'.repeat(101) } }, ['service_name.ar', 'service_name.en']],
    [{ service_name: { ar: 'سطر\nسطر', en: 'Passports', fr: 'Passeports' } }, ['service_name.ar', 'service_name.fr']],
    [{ service_name: 'Passports' }, ['service_name']],
    [{ ...passports, login_required_above: { ILS: -1, USD: 12.5, JOD: 2_505 } }, ['login_required_above.ILS', 'login_required_above.USD', 'login_required_above.JOD']],
    [{ ...passports, login_required_above: { ILS: '500', EUR: 100 } }, ['login_required_above.ILS', 'login_required_above.EUR']],
    [{ ...passports, login_required_above: { USD: 100_000_000 } }, ['login_required_above.USD']],
    [{ ...passports, login_required_above: [] }, ['login_required_above']],
    [{ ...passports, colour: 'green' }, ['colour']],
    [[], ['(body)']],
  ])('refuses %j with a 400 naming each wrong field (%j), and changes nothing', async (body, fields) => {
    const before = (await get()).body;
    const refused = await put(body);
    expect(refused.status).toBe(400);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body.code).toBe('invalid_request');
    expect(refused.body.invalid_params.map((p: { name: string }) => p.name).sort()).toEqual([...fields].sort());
    expect((await get()).body).toEqual(before);
  });

  it('says why a threshold is wrong, as for a payment’s amount', async () => {
    const refused = await put({ ...passports, login_required_above: { ILS: -1, USD: 12.5, JOD: 2_505 } });
    const reasons = Object.fromEntries(refused.body.invalid_params.map((p: { name: string; reason: string }) => [p.name, p.reason]));
    expect(reasons['login_required_above.ILS']).toMatch(/0 or more/);
    expect(reasons['login_required_above.USD']).toMatch(/whole number of minor units.*1\.50 USD is 150/);
    expect(reasons['login_required_above.JOD']).toMatch(/multiple of 10/);
  });
});
