import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { schemaViolations } from '@tamkeen/testing';
import request from 'supertest';
import { testNotifications, type TestNotifications } from '../test-app.js';

let service: TestNotifications;
let send: string;
let readOnly: string;
let otherMinistry: string;

beforeAll(async () => {
  service = await testNotifications('notifications templates');
  send = await service.bearer('notifications:send');
  readOnly = await service.bearer('notifications:read');
  otherMinistry = await service.bearer('notifications:send notifications:read', 'mof');
});
afterAll(() => service.close());

const templateViolations = (body: unknown) => schemaViolations('notifications.yaml', '#/components/schemas/Template', body);
const problemViolations = (body: unknown) => schemaViolations('platform.yaml', '#/components/schemas/Problem', body);

const codeTemplate = {
  name: 'one-time code',
  type: 'sms',
  body: { ar: 'رمز التحقق الخاص بك: ((code)). لا تشاركه مع أحد.', en: 'Your code is ((code)). Do not share it.' },
};

function create(body: unknown, auth = send) {
  return request(service.app).post('/notifications/v1/templates').set('Authorization', auth).send(body as object);
}

describe('templates', () => {
  it('creates an SMS template in Arabic and English, with its placeholders and its length in parts', async () => {
    const response = await create(codeTemplate);
    expect(response.status).toBe(201);
    expect(response.headers.location).toBe(`/notifications/v1/templates/${response.body.id}`);
    expect(response.body).toMatchObject({
      name: 'one-time code',
      type: 'sms',
      version: 1,
      body: codeTemplate.body,
      placeholders: ['code'],
      sms_length: { ar: { encoding: 'UCS-2', parts: 1 }, en: { encoding: 'GSM-7', parts: 1 } },
    });
    expect(templateViolations(response.body)).toEqual([]);
    const read = await request(service.app).get(response.headers.location!).set('Authorization', readOnly);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(response.body);
  });

  it('versions edits: the new words become current, the old version stays readable', async () => {
    const { body: created } = await create({ ...codeTemplate, name: 'receipt' });
    const url = `/notifications/v1/templates/${created.id}`;
    const edited = await request(service.app)
      .put(url)
      .set('Authorization', send)
      .send({ body: { ar: 'تم استلام دفعتك ((amount)).', en: 'We received your payment of ((amount)).' } });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ version: 2, placeholders: ['amount'] });
    expect((await request(service.app).get(url).set('Authorization', send)).body.version).toBe(2);
    const first = await request(service.app).get(`${url}?version=1`).set('Authorization', send);
    expect(first.body).toMatchObject({ version: 1, body: codeTemplate.body });
    expect((await request(service.app).get(`${url}?version=7`).set('Authorization', send)).status).toBe(404);
    const badVersion = await request(service.app).get(`${url}?version=latest`).set('Authorization', send);
    expect(badVersion.status).toBe(400);
    expect(badVersion.body.invalid_params[0].name).toBe('version');
  });

  it('gives concurrent edits their own version numbers', async () => {
    const { body: created } = await create({ ...codeTemplate, name: 'busy' });
    const url = `/notifications/v1/templates/${created.id}`;
    const edits = await Promise.all(
      ['one', 'two', 'three'].map((word) =>
        request(service.app).put(url).set('Authorization', send).send({ body: { ar: word, en: word } }),
      ),
    );
    expect(edits.map((e) => e.body.version).sort()).toEqual([2, 3, 4]);
  });

  it('requires a subject for e-mail templates, and none for text messages, naming the field', async () => {
    const email = await create({ name: 'welcome', type: 'email', body: { ar: 'أهلاً ((name))', en: 'Welcome ((name))' } });
    expect(email.status).toBe(400);
    expect(email.body.invalid_params).toEqual([{ name: 'subject', reason: 'an e-mail template needs a subject in ar and en' }]);
    const sms = await create({ ...codeTemplate, name: 'with subject', subject: { ar: 'س', en: 's' } });
    expect(sms.status).toBe(400);
    expect(sms.body.invalid_params[0].name).toBe('subject');
    const ok = await create({ name: 'welcome', type: 'email', subject: { ar: 'مرحباً', en: 'Welcome' }, body: { ar: 'أهلاً ((name))', en: 'Welcome ((name))' } });
    expect(ok.status).toBe(201);
    expect(ok.body.sms_length).toBeUndefined();
    expect(templateViolations(ok.body)).toEqual([]);
    expect(problemViolations(email.body)).toEqual([]);
  });

  it('names each missing or wrong field, and stores nothing', async () => {
    const response = await create({ name: '', type: 'fax', body: { ar: 'x' }, colour: 'red' });
    expect(response.status).toBe(400);
    const names = response.body.invalid_params.map((p: { name: string }) => p.name).sort();
    expect(names).toEqual(expect.arrayContaining(['name', 'type']));
    const missingEnglish = await create({ ...codeTemplate, name: 'half', body: { ar: 'نص' } });
    expect(missingEnglish.body.invalid_params).toEqual([{ name: 'body.en', reason: expect.any(String) }]);
    const tooLong = await create({ ...codeTemplate, name: 'long', body: { ar: 'ع', en: 'a'.repeat(919) } });
    expect(tooLong.body.invalid_params).toEqual([{ name: 'body.en', reason: 'must be at most 918 characters' }]);
    const list = await request(service.app).get('/notifications/v1/templates').set('Authorization', send);
    expect(list.body.templates.map((t: { name: string }) => t.name)).not.toContain('half');
  });

  it('refuses a second template with the same name in an organisation (409)', async () => {
    await create({ ...codeTemplate, name: 'unique' });
    const again = await create({ ...codeTemplate, name: 'unique' });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('template_name_taken');
  });

  it('keeps each organisation’s templates to itself', async () => {
    const { body: created } = await create({ ...codeTemplate, name: 'private' });
    const url = `/notifications/v1/templates/${created.id}`;
    expect((await request(service.app).get(url).set('Authorization', otherMinistry)).status).toBe(404);
    const edit = await request(service.app).put(url).set('Authorization', otherMinistry).send({ body: { ar: 'x', en: 'x' } });
    expect(edit.status).toBe(404);
    const theirs = await request(service.app).get('/notifications/v1/templates').set('Authorization', otherMinistry);
    expect(theirs.body.templates).toEqual([]);
    expect(schemaViolations('notifications.yaml', '#/paths/~1templates/get/responses/200/content/application~1json/schema', theirs.body)).toEqual([]);
    // The same name is free in another organisation.
    expect((await create({ ...codeTemplate, name: 'private' }, otherMinistry)).status).toBe(201);
  });

  it('needs notifications:send to write and a token to read', async () => {
    expect((await create({ ...codeTemplate, name: 'nope' }, readOnly)).status).toBe(403);
    expect((await request(service.app).get('/notifications/v1/templates')).status).toBe(401);
    expect((await request(service.app).get('/notifications/v1/templates/not-a-uuid').set('Authorization', send)).status).toBe(404);
  });
});
