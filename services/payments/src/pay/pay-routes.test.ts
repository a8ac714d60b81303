import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { stripeAdapter } from '../psp/stripe-adapter.js';
import { startSandbox, type RunningSandbox } from '../psp/test-sandbox.js';
import { testPayments, type TestPayments } from '../test-payments.js';

const SUCCESS = '4242424242424242';
const GENERIC_DECLINE = '4000000000000002';
const THREE_D_SECURE = '4000002500003155';

let sandbox: RunningSandbox;
let service: TestPayments;
let write: string;

beforeAll(async () => {
  sandbox = await startSandbox();
  const psp = stripeAdapter({ apiUrl: sandbox.url, secretKey: sandbox.secretKey, timeoutMs: 5_000 });
  service = await testPayments('pay page', { psp, env: { PSP_API_URL: sandbox.url, PSP_SECRET_KEY: sandbox.secretKey, PSP_PUBLISHABLE_KEY: sandbox.publishableKey } });
  write = await service.bearer('payments:write');
});
afterAll(async () => {
  await service.close();
  await sandbox.stop();
});

const passport = { amount: 15_000, currency: 'ILS', reference: 'PASSPORT-2026-0042', description: 'Passport renewal fee', return_url: 'https://passports.moi.gov.ps/paid' };

async function newPayment(body: object = passport): Promise<string> {
  const created = await request(service.app).post('/payments/v1/payments').set('Authorization', write).set('Idempotency-Key', randomUUID()).send(body);
  expect(created.status).toBe(201);
  return created.body.id as string;
}

const status = async (id: string) => (await request(service.app).get(`/payments/v1/payments/${id}`).set('Authorization', write)).body.status as string;
/** The ledger's postings for the payment: a succeeded payment has exactly one entry's. */
const postings = (id: string) =>
  service.stores.knex('journal_entries as e').join('postings as p', 'p.entry_id', 'e.id').join('ledger_accounts as a', 'a.id', 'p.account_id').where({ 'e.source_type': 'payment', 'e.source_id': id }).orderBy('p.id').select('e.id as entry', 'a.code', 'p.amount');

/** Opens the page as a browser does: its cookie and the form's CSRF token. */
async function openPage(id: string, lang?: 'en') {
  const page = await request(service.app).get(`/pay/${id}`).query(lang ? { lang } : {});
  expect(page.status).toBe(200);
  const cookie = (page.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)![1]!;
  return { page, cookie, csrf };
}

async function pay(id: string, cardNumber: string, lang?: 'en') {
  const { cookie, csrf } = await openPage(id, lang);
  const paymentMethod = await sandbox.tokenise(cardNumber);
  return request(service.app).post(`/pay/${id}${lang ? '?lang=en' : ''}`).set('Cookie', cookie).type('form').send({ csrf, payment_method: paymentMethod });
}

describe('the payment page', () => {
  it('shows the ministry, the description and the amount in Arabic, right to left, and starts the payment', async () => {
    const id = await newPayment();
    const { page } = await openPage(id);
    expect(page.text).toContain('<html lang="ar" dir="rtl">');
    expect(page.text).toContain('Passport renewal fee');
    expect(page.text).toContain('moi');
    expect(page.text).toMatch(/١٥٠٫٠٠.*شيكل/);
    expect(await status(id)).toBe('started');
    // A reload is fine.
    expect((await request(service.app).get(`/pay/${id}`)).status).toBe(200);
  });

  it('is in English with ?lang=en, and its card fields have no name', async () => {
    const id = await newPayment({ ...passport, amount: 2_510, currency: 'JOD' });
    const { page } = await openPage(id, 'en');
    expect(page.text).toContain('<html lang="en" dir="ltr">');
    expect(page.text).toMatch(/JOD\s2\.510/);
    for (const [field, autocomplete] of [['card-number', 'cc-number'], ['card-expiry', 'cc-exp'], ['card-cvc', 'cc-csc']]) {
      const input = new RegExp(`<input id="${field}"[^>]*>`).exec(page.text)![0];
      expect(input).toContain(`autocomplete="${autocomplete}"`);
      expect(input).toContain('inputmode="numeric"');
      expect(input).not.toMatch(/\sname=/);
      expect(page.text).toContain(`<label for="${field}">`);
    }
    expect(page.text).toMatch(/<noscript>[^<]*<p[^>]*>This page needs JavaScript/);
    expect(page.text).toContain('<script src="/pay/static/pay.js"></script>');
  });

  it('is served under a strict Content-Security-Policy that lets the browser reach only the PSP', async () => {
    const id = await newPayment();
    const { page } = await openPage(id);
    const csp = page.headers['content-security-policy'] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`connect-src ${new URL(sandbox.url).origin}`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.text).not.toMatch(/<script>(?!<)/);
    const script = await request(service.app).get('/pay/static/pay.js');
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
    expect(script.text).toContain('/v1/payment_methods');
  });

  it('says plainly when there is no such payment', async () => {
    expect((await request(service.app).get(`/pay/${randomUUID()}`)).status).toBe(404);
    expect((await request(service.app).get('/pay/not-a-payment?lang=en')).text).toContain('We do not know this payment');
  });

  it('shows a cancelled or expired payment as such, with the way back to the ministry', async () => {
    const cancelled = await newPayment();
    await request(service.app).post(`/payments/v1/payments/${cancelled}/cancel`).set('Authorization', write);
    const page = await request(service.app).get(`/pay/${cancelled}?lang=en`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('This payment was cancelled');
    expect(page.text).toContain('href="https://passports.moi.gov.ps/paid"');
    expect(page.text).not.toContain('pay-form');

    const late = await newPayment();
    service.clock.now = new Date(Date.now() + 91 * 60_000);
    try {
      expect((await request(service.app).get(`/pay/${late}?lang=en`)).text).toContain('The time to pay has run out');
    } finally {
      service.clock.now = new Date();
    }
    expect(await status(late)).toBe('expired');
  });
});

describe('paying', () => {
  it('refuses a form without its CSRF token or cookie, and submits nothing', async () => {
    const id = await newPayment();
    const { cookie, csrf } = await openPage(id);
    const pm = await sandbox.tokenise(SUCCESS);
    expect((await request(service.app).post(`/pay/${id}`).type('form').send({ csrf, payment_method: pm })).status).toBe(403);
    expect((await request(service.app).post(`/pay/${id}`).set('Cookie', cookie).type('form').send({ csrf: 'forged', payment_method: pm })).status).toBe(403);
    expect(await status(id)).toBe('started');
  });

  it('takes the card token, confirms at the PSP and shows the result: paid, with the reference', async () => {
    const id = await newPayment();
    const paid = await pay(id, SUCCESS, 'en');
    expect(paid.status).toBe(303);
    expect(paid.headers.location).toBe(`/pay/${id}/result?lang=en`);
    expect(await status(id)).toBe('succeeded');
    expect((await postings(id)).map((p: { code: string; amount: string }) => [p.code, Number(p.amount)])).toEqual([['psp_receivable', 15_000], ['ministry_revenue:moi', -15_000]]);
    const result = await request(service.app).get(paid.headers.location!);
    expect(result.text).toContain('Payment received');
    expect(result.text).toContain('PASSPORT-2026-0042');
    expect(result.text).toContain('href="https://passports.moi.gov.ps/paid"');
    // The page itself now shows the outcome, not the form.
    expect((await request(service.app).get(`/pay/${id}?lang=en`)).text).toContain('Payment received');
  });

  it('ends a declined card in a failed payment whose result says why', async () => {
    const id = await newPayment();
    const declined = await pay(id, GENERIC_DECLINE, 'en');
    expect(declined.status).toBe(303);
    expect(await status(id)).toBe('failed');
    expect(await postings(id)).toEqual([]);
    const result = await request(service.app).get(declined.headers.location!);
    expect(result.text).toContain('Your card’s bank declined the payment.');
    expect(result.text).toContain('href="https://passports.moi.gov.ps/paid"');
  });

  it('sends a 3-D Secure card to the PSP’s page and settles the payment from the PSP when the browser comes back', async () => {
    const id = await newPayment();
    const challenged = await pay(id, THREE_D_SECURE);
    expect(challenged.status).toBe(303);
    expect(challenged.headers.location).toMatch(new RegExp(`^${sandbox.url}/stripe/3d-secure/`));
    expect(await status(id)).toBe('submitted');
    // A forged return says nothing: the PSP has not been answered yet.
    await request(service.app).get(`/pay/${id}/return?redirect_status=succeeded`);
    expect(await status(id)).toBe('submitted');
    const back = await fetch(challenged.headers.location!, { method: 'POST', body: new URLSearchParams({ outcome: 'complete' }), redirect: 'manual' });
    const returnUrl = new URL(back.headers.get('location')!);
    expect(returnUrl.pathname).toBe(`/pay/${id}/return`);
    const returned = await request(service.app).get(`${returnUrl.pathname}${returnUrl.search}`);
    expect(returned.headers.location).toBe(`/pay/${id}/result?lang=ar`);
    expect(await status(id)).toBe('succeeded');
    expect(await postings(id)).toHaveLength(2);
    // The intent's client secret came back in the query string: never in a log line.
    const secret = returnUrl.searchParams.get('payment_intent_client_secret')!;
    expect(secret).toMatch(/_secret_/);
    expect(service.logs.text()).not.toContain(secret);
  });

  it('submits a double click once: the second click waits for the first one’s result', async () => {
    const id = await newPayment();
    const { cookie, csrf } = await openPage(id);
    const pm = await sandbox.tokenise(SUCCESS);
    const post = () => request(service.app).post(`/pay/${id}`).set('Cookie', cookie).type('form').send({ csrf, payment_method: pm });
    const [first, second] = await Promise.all([post(), post()]);
    const third = await post();
    for (const answer of [first, second, third]) expect([303, 503]).toContain(answer.status);
    expect(third.headers.location).toBe(`/pay/${id}/result?lang=ar`);
    expect(await status(id)).toBe('succeeded');
    const events = (await request(service.app).get(`/payments/v1/payments/${id}/events`).set('Authorization', write)).body.events as { event: string }[];
    expect(events.map((e) => e.event)).toEqual(['create', 'start', 'submit', 'succeed']);
    const posted = await postings(id);
    expect(posted).toHaveLength(2);
    expect(new Set(posted.map((p: { entry: string }) => p.entry)).size).toBe(1);
  });

  it('refuses a form without a card token, showing the form again', async () => {
    const id = await newPayment();
    const { cookie, csrf } = await openPage(id, 'en');
    const answer = await request(service.app).post(`/pay/${id}?lang=en`).set('Cookie', cookie).type('form').send({ csrf, payment_method: '4242424242424242' });
    expect(answer.status).toBe(400);
    expect(answer.text).toContain('The card details did not arrive');
    expect(await status(id)).toBe('started');
  });
});
