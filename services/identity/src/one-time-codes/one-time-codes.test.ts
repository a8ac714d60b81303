import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openTestStores, type TestStores } from '@tamkeen/db/testing';
import { citizenAccounts } from '../accounts/citizen-accounts.js';
import { migrations } from '../db/migrations/index.js';
import { oneTimeCodes } from './one-time-codes.js';

let stores: TestStores;
let codes: ReturnType<typeof oneTimeCodes>;
const ids: string[] = [];

beforeAll(async () => {
  stores = await openTestStores('identity codes', migrations);
  codes = oneTimeCodes(stores.knex, 'test-code-secret');
  for (const nationalId of ['900000019', '900000027', '900000035', '900000043']) {
    const account = await citizenAccounts(stores.knex).create({ nationalId, nameAr: 'س', nameEn: 'S', birthdate: '1990-01-01', phoneNumber: null, phoneNumberVerified: false, email: null, emailVerified: false, passwordHash: 'x' });
    ids.push(account.id);
  }
});
afterAll(() => stores.close());

describe('one-time codes', () => {
  it('are six digits, kept only as an HMAC, accepted once', async () => {
    const issued = await codes.issue(ids[0]!, 'login', 'sms');
    if (!issued.issued) throw new Error('not issued');
    expect(issued.code).toMatch(/^[0-9]{6}$/);
    const stored = await stores.knex('one_time_codes').where({ subject: ids[0] }).first();
    expect(JSON.stringify(stored)).not.toContain(issued.code);
    expect(await codes.check(ids[0]!, 'login', 'sms', issued.code)).toEqual({ ok: true });
    expect(await codes.check(ids[0]!, 'login', 'sms', issued.code)).toEqual({ ok: false, reason: 'none' });
  });

  it('are sent at most once a minute', async () => {
    expect((await codes.issue(ids[1]!, 'login', 'sms')).issued).toBe(true);
    const again = await codes.issue(ids[1]!, 'login', 'sms');
    expect(again).toMatchObject({ issued: false, reason: 'too_soon' });
  });

  it('lock for 15 minutes after five wrong tries, even for the right code', async () => {
    const issued = await codes.issue(ids[2]!, 'login', 'sms');
    if (!issued.issued) throw new Error('not issued');
    const wrong = issued.code === '000000' ? '111111' : '000000';
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await codes.check(ids[2]!, 'login', 'sms', wrong));
    expect(answers.map((a) => (a.ok ? 'ok' : a.reason))).toEqual(['wrong', 'wrong', 'wrong', 'wrong', 'locked']);
    expect(answers[0]).toMatchObject({ triesLeft: 4 });
    expect(await codes.check(ids[2]!, 'login', 'sms', issued.code)).toMatchObject({ ok: false, reason: 'locked' });
    expect(await codes.issue(ids[2]!, 'login', 'sms')).toMatchObject({ issued: false, reason: 'locked' });
    const retry = (await codes.check(ids[2]!, 'login', 'sms', issued.code)) as { retryAfterMs: number };
    expect(retry.retryAfterMs).toBeGreaterThan(14 * 60_000);
  });

  it('expire after five minutes', async () => {
    await stores.knex('one_time_codes').where({ subject: ids[1] }).update({ expires_at: stores.knex.raw("now() - interval '1 second'") });
    expect(await codes.check(ids[1]!, 'login', 'sms', '123456')).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('are per channel: an e-mail code can follow an SMS code at once, and neither passes for the other', async () => {
    const bySms = await codes.issue(ids[3]!, 'login', 'sms');
    const byEmail = await codes.issue(ids[3]!, 'login', 'email');
    if (!bySms.issued || !byEmail.issued) throw new Error('not issued');
    expect(await codes.issue(ids[3]!, 'login', 'email')).toMatchObject({ issued: false, reason: 'too_soon' });
    if (bySms.code !== byEmail.code) expect(await codes.check(ids[3]!, 'login', 'email', bySms.code)).toMatchObject({ ok: false, reason: 'wrong' });
    expect(await codes.check(ids[3]!, 'login', 'email', byEmail.code)).toEqual({ ok: true });
    expect(await codes.check(ids[3]!, 'login', 'sms', bySms.code)).toEqual({ ok: true });
  });

  it('lock every channel when one channel\'s code is guessed wrong five times', async () => {
    await stores.knex('one_time_codes').where({ subject: ids[3] }).delete();
    const bySms = await codes.issue(ids[3]!, 'login', 'sms');
    const byEmail = await codes.issue(ids[3]!, 'login', 'email');
    if (!bySms.issued || !byEmail.issued) throw new Error('not issued');
    const wrong = byEmail.code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) await codes.check(ids[3]!, 'login', 'email', wrong);
    expect(await codes.check(ids[3]!, 'login', 'sms', bySms.code)).toMatchObject({ ok: false, reason: 'locked' });
    expect(await codes.issue(ids[3]!, 'login', 'sms')).toMatchObject({ issued: false, reason: 'locked' });
  });

  it('give no more guesses for asking for a new code or switching channel: five wrong in all lock them all', async () => {
    await stores.knex('one_time_codes').where({ subject: ids[0] }).delete();
    const wrongFor = (code: string) => (code === '000000' ? '111111' : '000000');
    const first = await codes.issue(ids[0]!, 'login', 'sms');
    if (!first.issued) throw new Error('not issued');
    for (let i = 0; i < 2; i++) expect(await codes.check(ids[0]!, 'login', 'sms', wrongFor(first.code))).toMatchObject({ reason: 'wrong' });
    // A minute later, a new code by SMS: the two wrong tries stand.
    await stores.knex('one_time_codes').where({ subject: ids[0] }).update({ sent_at: stores.knex.raw("now() - interval '61 seconds'") });
    const second = await codes.issue(ids[0]!, 'login', 'sms');
    if (!second.issued) throw new Error('not issued');
    expect(await codes.check(ids[0]!, 'login', 'sms', wrongFor(second.code))).toMatchObject({ reason: 'wrong', triesLeft: 2 });
    // Then by e-mail: its wrong tries add to them.
    const byEmail = await codes.issue(ids[0]!, 'login', 'email');
    if (!byEmail.issued) throw new Error('not issued');
    expect(await codes.check(ids[0]!, 'login', 'email', wrongFor(byEmail.code))).toMatchObject({ reason: 'wrong', triesLeft: 1 });
    expect(await codes.check(ids[0]!, 'login', 'email', wrongFor(byEmail.code))).toMatchObject({ reason: 'locked' });
    expect(await codes.check(ids[0]!, 'login', 'sms', second.code)).toMatchObject({ reason: 'locked' });
  });

  it('forget wrong tries after a right code', async () => {
    await stores.knex('one_time_codes').where({ subject: ids[1] }).delete();
    const issued = await codes.issue(ids[1]!, 'login', 'sms');
    if (!issued.issued) throw new Error('not issued');
    const wrong = issued.code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 4; i++) await codes.check(ids[1]!, 'login', 'sms', wrong);
    expect(await codes.check(ids[1]!, 'login', 'sms', issued.code)).toEqual({ ok: true });
    await stores.knex('one_time_codes').where({ subject: ids[1] }).update({ sent_at: stores.knex.raw("now() - interval '61 seconds'") });
    const next = await codes.issue(ids[1]!, 'login', 'sms');
    if (!next.issued) throw new Error('not issued');
    expect(await codes.check(ids[1]!, 'login', 'sms', next.code === '000000' ? '111111' : '000000')).toMatchObject({ reason: 'wrong', triesLeft: 4 });
  });
});
