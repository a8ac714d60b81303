import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { schemaViolations } from '@tamkeen/testing';
import request from 'supertest';
import { testNotifications, type TestNotifications } from '../test-app.js';

let service: TestNotifications;
let send: string;
let otherMinistry: string;
let smsTemplate: string;
let emailTemplate: string;

beforeAll(async () => {
  service = await testNotifications('notifications accepting');
  send = await service.bearer('notifications:send');
  otherMinistry = await service.bearer('notifications:send', 'mof');
  const create = (body: object) => request(service.app).post('/notifications/v1/templates').set('Authorization', send).send(body);
  smsTemplate = (
    await create({ name: 'code', type: 'sms', body: { ar: 'رمز التحقق الخاص بك: ((code))', en: 'Your code is ((code))' } })
  ).body.id;
  emailTemplate = (
    await create({
      name: 'receipt',
      type: 'email',
      subject: { ar: 'إيصال ((reference))', en: 'Receipt ((reference))' },
      body: { ar: 'استلمنا ((amount)).', en: 'We received ((amount)).' },
    })
  ).body.id;
});
afterAll(() => service.close());

const sms = (body: object, headers: Record<string, string> = {}, auth = send) =>
  request(service.app).post('/notifications/v1/sms').set('Authorization', auth).set(headers).send(body);

const countRows = async () => Number((await service.stores.knex('notifications').count({ n: '*' }))[0]?.n);

describe('accepting a text message', () => {
  it('personalises the Arabic template, stores it as created, and answers with its encoding and parts', async () => {
    const response = await sms({ phone_number: '0599 123 456', template_id: smsTemplate, personalisation: { code: '482913' }, priority: 'high', reference: 'login-1' });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      type: 'sms',
      status: 'created',
      phone_number: '+970599123456',
      priority: 'high',
      reference: 'login-1',
      language: 'ar',
      body: 'رمز التحقق الخاص بك: 482913',
      sms: { encoding: 'UCS-2', parts: 1 },
      template: { id: smsTemplate, version: 1 },
    });
    expect(schemaViolations('notifications.yaml', '#/components/schemas/Notification', response.body)).toEqual([]);
    const read = await request(service.app).get(response.headers.location!).set('Authorization', send);
    expect(read.body).toEqual(response.body);
    const row = await service.stores.knex('notifications').where({ id: response.body.id }).first();
    expect(row).toMatchObject({ lane: 'priority', status: 'created', organisation_id: 'moh' });
  });

  it('sends English when asked, as GSM-7', async () => {
    const response = await sms({ phone_number: '+962791234567', template_id: smsTemplate, personalisation: { code: 1 }, language: 'en' });
    expect(response.body).toMatchObject({ body: 'Your code is 1', sms: { encoding: 'GSM-7', parts: 1 }, priority: 'normal' });
  });

  it.each([
    [{ phone_number: '02 298 1234', personalisation: { code: 1 } }, 'phone_number', /fixed line/],
    [{ phone_number: '0599123456', personalisation: {} }, 'personalisation.code', /has no value/],
    [{ phone_number: '0599123456', personalisation: { code: { x: 1 } } }, 'personalisation.code', /text or a number/],
    [{ phone_number: '0599123456', personalisation: { code: 1 }, language: 'fr' }, 'language', /ar or en/],
    [{ phone_number: '0599123456', personalisation: { code: 1 }, priority: 'urgent' }, 'priority', /high/],
  ])('refuses %j naming %s, and stores nothing', async (fields, name, reason) => {
    const before = await countRows();
    const response = await sms({ template_id: smsTemplate, ...fields });
    expect(response.status).toBe(400);
    expect(response.body.invalid_params).toEqual([{ name, reason: expect.stringMatching(reason) }]);
    expect(await countRows()).toBe(before);
  });

  it('refuses an e-mail template, or one that is not the organisation’s', async () => {
    const wrongType = await sms({ phone_number: '0599123456', template_id: emailTemplate, personalisation: {} });
    expect(wrongType.body.invalid_params).toEqual([{ name: 'template_id', reason: 'is an email template, not sms' }]);
    const foreign = await sms({ phone_number: '0599123456', template_id: smsTemplate, personalisation: { code: 1 } }, {}, otherMinistry);
    expect(foreign.body.invalid_params).toEqual([{ name: 'template_id', reason: 'is not one of your templates' }]);
  });
});

describe('Idempotency-Key', () => {
  const body = { phone_number: '0599000111', template_id: '', personalisation: { code: '1' } };

  it('answers a repeat with the first notification, and a different request with 422', async () => {
    const first = await sms({ ...body, template_id: smsTemplate }, { 'Idempotency-Key': 'otp-7' });
    const again = await sms({ personalisation: { code: '1' }, template_id: smsTemplate, phone_number: '0599000111' }, { 'Idempotency-Key': 'otp-7' });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    const other = await sms({ ...body, template_id: smsTemplate, personalisation: { code: '2' } }, { 'Idempotency-Key': 'otp-7' });
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ code: 'idempotency_key_reused', notification_id: first.body.id });
    expect(schemaViolations('platform.yaml', '#/components/schemas/Problem', other.body)).toEqual([]);
  });

  it('makes one notification of racing requests with one key', async () => {
    const before = await countRows();
    const answers = await Promise.all(Array.from({ length: 5 }, () => sms({ ...body, template_id: smsTemplate }, { 'Idempotency-Key': 'race-1' })));
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(await countRows()).toBe(before + 1);
  });

  it('keeps keys per organisation', async () => {
    const mofTemplate = (
      await request(service.app).post('/notifications/v1/templates').set('Authorization', otherMinistry).send({ name: 'code', type: 'sms', body: { ar: 'رمز ((code))', en: 'Code ((code))' } })
    ).body.id;
    const theirs = await sms({ ...body, template_id: mofTemplate }, { 'Idempotency-Key': 'otp-7' }, otherMinistry);
    expect(theirs.status).toBe(201);
    expect((await request(service.app).get(theirs.headers.location!).set('Authorization', send)).status).toBe(404);
  });
});

describe('accepting an e-mail', () => {
  it('personalises subject and body, and keeps the address in lower case', async () => {
    const response = await request(service.app)
      .post('/notifications/v1/email')
      .set('Authorization', send)
      .send({ email_address: 'Amal@Example.org', template_id: emailTemplate, personalisation: { reference: 'MOH-1', amount: '150.00 ILS' } });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ type: 'email', email_address: 'amal@example.org', subject: 'إيصال MOH-1', body: 'استلمنا 150.00 ILS.', status: 'created' });
    expect(response.body.sms).toBeUndefined();
    expect(schemaViolations('notifications.yaml', '#/components/schemas/Notification', response.body)).toEqual([]);
  });

  it('refuses an address that is not one', async () => {
    const response = await request(service.app).post('/notifications/v1/email').set('Authorization', send).send({ email_address: 'amal@', template_id: emailTemplate });
    expect(response.body.invalid_params).toEqual([{ name: 'email_address', reason: 'is not a valid e-mail address' }]);
  });
});
