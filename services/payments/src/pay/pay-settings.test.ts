import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { stripeAdapter } from '../psp/stripe-adapter.js';
import { startSandbox, type RunningSandbox } from '../psp/test-sandbox.js';
import { testPayments, type TestPayments } from '../test-payments.js';

// The payment page with the ministry's settings: its name, and its login threshold. `plain` has no
// citizen login configured; `withLogin` has one whose issuer does not answer (the flow itself is
// tested against the real citizen issuer in citizen-login/pay-login.test.ts).
let sandbox: RunningSandbox;
let plain: TestPayments;
let withLogin: TestPayments;

beforeAll(async () => {
  sandbox = await startSandbox();
  const psp = stripeAdapter({ apiUrl: sandbox.url, secretKey: sandbox.secretKey, timeoutMs: 5_000 });
  const env = { PSP_API_URL: sandbox.url, PSP_SECRET_KEY: sandbox.secretKey, PSP_PUBLISHABLE_KEY: sandbox.publishableKey };
  plain = await testPayments('pay settings plain', { psp, env });
  withLogin = await testPayments('pay settings login', {
    psp,
    env: { ...env, CITIZEN_ISSUER: 'http://localhost:8080/auth/citizen', CITIZEN_ISSUER_INTERNAL_URL: 'http://127.0.0.1:1', PAY_LOGIN_CLIENT_ID: 'tamkeen-pay', PAY_LOGIN_CLIENT_SECRET: 'a-secret-of-the-payment-page-0123456789' },
  });
  for (const service of [plain, withLogin]) {
    const put = await request(service.app)
      .put('/payments/v1/settings')
      .set('Authorization', await service.bearer('payments:write'))
      .send({ service_name: { ar: 'وزارة الداخلية — جوازات السفر', en: 'Ministry of Interior — Passports' }, login_required_above: { ILS: 50_000, JOD: 0 } });
    expect(put.status).toBe(200);
  }
}, 60_000);
afterAll(async () => {
  await plain?.close();
  await withLogin?.close();
  await sandbox?.stop();
});

const passport = { amount: 15_000, currency: 'ILS', reference: 'PASSPORT-2026-0042', description: 'Passport renewal fee', return_url: 'https://passports.moi.gov.ps/paid' };
const large = { ...passport, amount: 50_001, reference: 'RESIDENCY-2026-0007', description: 'Residency permit fee' };

async function newPayment(service: TestPayments, body: object = passport, organisation = 'moi'): Promise<string> {
  const created = await request(service.app).post('/payments/v1/payments').set('Authorization', await service.bearer('payments:write', organisation)).set('Idempotency-Key', randomUUID()).send(body);
  expect(created.status).toBe(201);
  return created.body.id as string;
}

/** Runs `during` with `thresholds` added to moi's (ILS 50000, JOD 0), then puts them back. */
async function withThreshold(service: TestPayments, thresholds: Record<string, number>, during: () => Promise<void>) {
  const write = await service.bearer('payments:write');
  const set = (extra: Record<string, number>) =>
    request(service.app).put('/payments/v1/settings').set('Authorization', write).send({ service_name: { ar: 'وزارة الداخلية — جوازات السفر', en: 'Ministry of Interior — Passports' }, login_required_above: { ILS: 50_000, JOD: 0, ...extra } });
  expect((await set(thresholds)).status).toBe(200);
  try {
    await during();
  } finally {
    await set({});
  }
}

const read = async (service: TestPayments, id: string) => (await request(service.app).get(`/payments/v1/payments/${id}`).set('Authorization', await service.bearer('payments:read'))).body;

/** Opens the page as a browser does: its cookie and, when it has the card form, the CSRF token. */
async function openPage(service: TestPayments, id: string, lang?: 'en') {
  const page = await request(service.app).get(`/pay/${id}`).query(lang ? { lang } : {});
  const cookie = ((page.headers['set-cookie'] as unknown as string[] | undefined) ?? []).map((c) => c.split(';')[0]!).join('; ');
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1];
  return { page, cookie, csrf };
}

describe('the ministry’s name on the page', () => {
  it('is its service name in the page’s language: Arabic by default, English with ?lang=en', async () => {
    const id = await newPayment(plain);
    const arabic = (await openPage(plain, id)).page;
    expect(arabic.text).toContain('<html lang="ar" dir="rtl">');
    expect(arabic.text).toMatch(/<dt>الجهة<\/dt><dd><bdi><span id="ministry">وزارة الداخلية — جوازات السفر<\/span><\/bdi><\/dd>/);
    expect(arabic.text).not.toContain('Ministry of Interior');
    const english = (await openPage(plain, id, 'en')).page;
    expect(english.text).toContain('<html lang="en" dir="ltr">');
    expect(english.text).toMatch(/<dt>To<\/dt><dd><bdi><span id="ministry">Ministry of Interior — Passports<\/span>/);
    // Still one heading, labelled fields, the language switch.
    expect(english.text.match(/<h1>/g)).toHaveLength(1);
    expect(english.text).toContain('<label for="card-number">');
    expect(english.text).toMatch(/<a class="language" href="\/pay\/[^"]+\?lang=ar" lang="ar">العربية<\/a>/);
  });

  it('is on the result page too, and escaped', async () => {
    const service = plain;
    await request(service.app)
      .put('/payments/v1/settings')
      .set('Authorization', await service.bearer('payments:write', 'mol'))
      .send({ service_name: { ar: 'وزارة العمل <تصاريح>', en: 'Ministry of Labour <permits>' } });
    const id = await newPayment(service, passport, 'mol');
    await request(service.app).post(`/payments/v1/payments/${id}/cancel`).set('Authorization', await service.bearer('payments:write', 'mol'));
    const page = await request(service.app).get(`/pay/${id}?lang=en`);
    expect(page.text).toContain('This payment was cancelled');
    expect(page.text).toContain('Ministry of Labour &lt;permits&gt;');
  });

  it('is the organisation’s id while the ministry has no settings', async () => {
    const id = await newPayment(plain, passport, 'mot');
    expect((await openPage(plain, id, 'en')).page.text).toContain('<span id="ministry">mot</span>');
    expect((await openPage(plain, id)).page.text).toContain('<span id="ministry">mot</span>');
  });
});

describe('the login threshold', () => {
  it('changes nothing at or under it, or in a currency without one: the card form, no login', async () => {
    for (const body of [passport, { ...passport, amount: 50_000 }, { ...passport, amount: 900_000, currency: 'USD' }]) {
      const id = await newPayment(withLogin, body);
      const { page, csrf } = await openPage(withLogin, id, 'en');
      expect(page.status).toBe(200);
      expect(page.text).toContain('id="pay-form"');
      expect(page.text).not.toContain('Log in to pay');
      expect(csrf).toBeDefined();
      // "Log in" for a payment that needs none goes back to the page.
      const login = await request(withLogin.app).get(`/pay/${id}/login?lang=en`);
      expect(login.status).toBe(303);
      expect(login.headers.location).toBe(`/pay/${id}?lang=en`);
    }
  });

  it('above it, offers a login instead of the card form, and refuses a submitted card server-side', async () => {
    const id = await newPayment(withLogin, large);
    const { page, cookie, csrf } = await openPage(withLogin, id, 'en');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<h1>Log in to pay</h1>');
    expect(page.text).toContain(`<a class="button" id="login" href="/pay/${id}/login?lang=en">Log in to pay</a>`);
    expect(page.text).toContain('Ministry of Interior — Passports');
    expect(page.text).not.toContain('pay-form');
    expect(page.text).not.toContain('card-number');
    // No form, so no CSRF token for it either: a card posted anyway is refused.
    expect(csrf).toBeUndefined();
    const posted = await request(withLogin.app).post(`/pay/${id}?lang=en`).set('Cookie', cookie).type('form').send({ payment_method: await sandbox.tokenise('4242424242424242') });
    expect(posted.status).toBe(403);
    expect((await read(withLogin, id)).status).toBe('started');
    const arabic = await request(withLogin.app).get(`/pay/${id}`);
    expect(arabic.text).toContain('<h1>سجّل الدخول لتدفع</h1>');
    expect(arabic.text).toContain(`href="/pay/${id}/login?lang=ar"`);
  });

  it('refuses the card above it without a login even with a valid CSRF token, and submits nothing', async () => {
    // The threshold set after the citizen opened the card form: the form is stale, the server refuses it.
    const id = await newPayment(withLogin, { ...passport, amount: 60_000, currency: 'USD' });
    const { cookie, csrf } = await openPage(withLogin, id, 'en');
    expect(csrf).toBeDefined();
    await withThreshold(withLogin, { USD: 50_000 }, async () => {
      const refused = await request(withLogin.app).post(`/pay/${id}?lang=en`).set('Cookie', cookie).type('form').send({ csrf, payment_method: await sandbox.tokenise('4242424242424242') });
      expect(refused.status).toBe(403);
      expect(refused.text).toContain('Log in first: this amount cannot be paid without logging in.');
      expect(refused.text).toContain(`href="/pay/${id}/login?lang=en"`);
      expect(refused.text).not.toContain('pay-form');
    });
    const payment = await read(withLogin, id);
    expect(payment.status).toBe('started');
    expect(payment).not.toHaveProperty('paid_by');
    expect(await withLogin.stores.knex('payments').where({ id }).first('psp_payment_intent_id')).toEqual({ psp_payment_intent_id: null });
  });

  it('at 0, asks every payment in that currency', async () => {
    const id = await newPayment(withLogin, { ...passport, amount: 10, currency: 'JOD' });
    expect((await openPage(withLogin, id, 'en')).page.text).toContain('<h1>Log in to pay</h1>');
  });

  it('says plainly when the issuer cannot be reached to log in, and nothing changes', async () => {
    const id = await newPayment(withLogin, large);
    await openPage(withLogin, id);
    const login = await request(withLogin.app).get(`/pay/${id}/login?lang=en`);
    expect(login.status).toBe(503);
    expect(login.text).toContain('Your login cannot be completed right now. Nothing was charged.');
    expect(login.text).toContain(`href="/pay/${id}?lang=en"`);
    expect((await read(withLogin, id)).status).toBe('started');
  });

  it('without the citizen login configured, refuses to take a payment above it, saying so, rather than let it through', async () => {
    const id = await newPayment(plain, large);
    const { page } = await openPage(plain, id, 'en');
    expect(page.status).toBe(503);
    expect(page.text).toContain('Paying this amount needs you to log in, and logging in is not available right now. Nothing was charged.');
    expect(page.text).toContain('href="https://passports.moi.gov.ps/paid"');
    expect(page.text).not.toContain('pay-form');
    const arabic = await request(plain.app).get(`/pay/${id}`);
    expect(arabic.text).toContain('تسجيل الدخول غير متاح الآن');
    expect((await request(plain.app).get(`/pay/${id}/login`)).headers.location).toBe(`/pay/${id}?lang=ar`);
    // A card form opened before the threshold was set, posted after: refused, nothing submitted.
    const stale = await newPayment(plain, { ...passport, amount: 60_000, currency: 'USD' });
    const { cookie, csrf } = await openPage(plain, stale, 'en');
    await withThreshold(plain, { USD: 50_000 }, async () => {
      const posted = await request(plain.app).post(`/pay/${stale}?lang=en`).set('Cookie', cookie).type('form').send({ csrf, payment_method: await sandbox.tokenise('4242424242424242') });
      expect(posted.status).toBe(503);
      expect(posted.text).toContain('logging in is not available right now');
    });
    expect((await read(plain, stale)).status).toBe('started');
    expect(plain.logs.text()).toContain('the citizen login is not configured');
  });

  it('answers a callback with no login behind it plainly, recording nothing', async () => {
    const answer = await request(withLogin.app).get(`/pay/login/callback?code=abc&state=${'A'.repeat(43)}`);
    expect(answer.status).toBe(400);
    expect(answer.text).toContain('انتهت صلاحية تسجيل الدخول هذا');
    expect((await request(withLogin.app).get('/pay/login/callback')).status).toBe(400);
    expect(await withLogin.stores.knex('payment_events').where({ event: 'login' }).count({ n: '*' }).first()).toEqual({ n: '0' });
    expect((await request(plain.app).get('/pay/login/callback?code=abc&state=x')).status).toBe(404);
  });
});
