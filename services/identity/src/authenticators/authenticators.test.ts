import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openTestStores, type TestStores } from '@tamkeen/db/testing';
import { generate } from 'otplib';
import { migrations } from '../db/migrations/index.js';
import { secretBox } from '../keys/secret-box.js';
import { authenticators } from './authenticators.js';

let stores: TestStores;
let apps: ReturnType<typeof authenticators>;

beforeAll(async () => {
  stores = await openTestStores('identity authenticators', migrations);
  apps = authenticators(stores.knex, secretBox(['test-authenticator-key-0123456789abcdef']));
});
afterAll(() => stores.close());

/** An app linked for `subject`, ready for a login code of the current time step. */
async function linkedApp(subject: string): Promise<string> {
  const { secret } = await apps.pending(subject, subject, `attempt-${subject}`);
  expect(await apps.confirm(subject, await generate({ secret }), `attempt-${subject}`)).toEqual({ ok: true });
  // The linking code used this time step; a login within the same 30 s must still be possible in the test.
  await stores.knex('authenticators').where({ subject }).update({ last_time_step: null });
  return secret;
}

describe('authenticator app codes at login', () => {
  it('accept a code once, even when the same code arrives twice at the same moment', async () => {
    const secret = await linkedApp('racing-replay');
    const code = await generate({ secret });
    const results = await Promise.all(Array.from({ length: 6 }, () => apps.check('racing-replay', code)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok)).toEqual(Array.from({ length: 5 }, () => ({ ok: false, reason: 'wrong' })));
  });

  it('count every wrong code, even racing ones: the fifth locks the app for 15 minutes, and then the right code is refused too', async () => {
    const secret = await linkedApp('racing-guesses');
    const results = await Promise.all(['000001', '000002', '000003', '000004', '000005'].map((guess) => apps.check('racing-guesses', guess)));
    expect(results.filter((r) => !r.ok && r.reason === 'locked')).toHaveLength(1);
    const locked = await apps.check('racing-guesses', await generate({ secret }));
    expect(locked).toMatchObject({ ok: false, reason: 'locked' });
    expect((locked as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(14 * 60_000);
  });

  it('say there is no app for a subject who has none', async () => {
    expect(await apps.check('nobody', '123456')).toEqual({ ok: false, reason: 'none' });
  });

  it('take a code as wrong, not as a failure, when the last code used is ahead of this server’s clock', async () => {
    const secret = await linkedApp('clock-behind');
    await stores.knex('authenticators').where({ subject: 'clock-behind' }).update({ last_time_step: Math.floor(Date.now() / 30_000) + 10 });
    expect(await apps.check('clock-behind', await generate({ secret }))).toEqual({ ok: false, reason: 'wrong' });
  });
});
