import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '@tamkeen/testing';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startPlatform, type RunningPlatform } from './platform.js';

// Issue 5, "How it will be checked", as a ministry developer and a citizen would: the whole built
// platform, everything through the gateway, the citizen in Chromium with the sandbox's test cards.
// Screenshots: e2e/output/payment-walkthrough.
const output = join(dirname(fileURLToPath(import.meta.url)), '..', 'output', 'payment-walkthrough');

type Json = Record<string, unknown>;
interface Notice {
  id: string;
  type: string;
  data: Json;
}

let platform: RunningPlatform;
let browser: Browser;
/** The ministry's own service: its webhook receiver (POST /webhook) and the page citizens come back to (GET /paid). */
let ministry: Server;
let ministryUrl: string;
const received: Array<{ body: string; signature: string }> = [];
const returned: string[] = [];
let shot = 0;

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

beforeAll(async () => {
  mkdirSync(output, { recursive: true });
  ministry = createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/webhook') {
      void readBody(req).then((body) => {
        received.push({ body, signature: String(req.headers['tamkeen-signature'] ?? '') });
        res.writeHead(204).end();
      });
      return;
    }
    returned.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'text/plain' }).end('back at the ministry');
  });
  await new Promise<void>((resolve) => ministry.listen(0, '127.0.0.1', resolve));
  ministryUrl = `http://127.0.0.1:${(ministry.address() as AddressInfo).port}`;
  platform = await startPlatform('e2e payment walkthrough');
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  await new Promise((resolve) => (ministry ? ministry.close(resolve) : resolve(undefined)));
}, 30_000);

const json = async (response: Response) => ({ status: response.status, body: (await response.json()) as Json });
const screenshot = (page: Page, name: string) => page.screenshot({ path: join(output, `${String(++shot).padStart(2, '0')}-${name}.png`), fullPage: true });

/** A machine client of `organisation` (added by the operator's commands, as the README says) and its token for the payments API. */
async function paymentsToken(organisation: { id: string; ar: string; en: string }, scope: string): Promise<string> {
  // The platform's own organisation (tamkeen) is there from identity's start (PLATFORM_CLIENTS).
  if (organisation.id !== 'tamkeen') await platform.command('identity', 'admin.js', ['organisation', 'add', '--id', organisation.id, '--name-ar', organisation.ar, '--name-en', organisation.en]);
  const client = JSON.parse(await platform.command('identity', 'admin.js', ['machine-client', 'add', '--organisation', organisation.id, '--name', 'Payments', '--scope', scope])) as { client_id: string; client_secret: string };
  const token = await json(
    await fetch(`${platform.gateway}/auth/enterprise/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope, resource: `${platform.gateway}/payments/v1` }).toString(),
    }),
  );
  expect(token.status).toBe(200);
  return String(token.body.access_token);
}

/** The ministry's name, as it sets it in its payment settings. */
const MINISTRY = { ar: 'وزارة الداخلية — الجوازات', en: 'Ministry of Interior — Passports' };
// Omar, a demo citizen the register knows, with an account as the README's operator command makes it: he pays above the threshold.
const OMAR = { nationalId: '900000027', password: 'carob-orchard-1985', phone: '+970592345678' };

/** What the sandbox delivered to this phone number or e-mail address, newest first. */
async function inbox(kind: 'sms' | 'email', to: string): Promise<Json[]> {
  const answer = (await (await fetch(`${platform.urls.sandbox}/inbox/api/${kind}?to=${encodeURIComponent(to)}`)).json()) as { messages: Json[] };
  return answer.messages;
}

/** Verifies a Tamkeen-Signature as a ministry would: HMAC-SHA256(secret, "<t>.<body>"), constant-time, t within 5 minutes. */
function signedBy(secret: string, body: string, header: string): boolean {
  const t = /(?:^|,)t=(\d+)/.exec(header)?.[1];
  const v1 = /(?:^|,)v1=([0-9a-f]{64})/.exec(header)?.[1];
  if (!t || !v1 || Math.abs(Date.now() / 1000 - Number(t)) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}

/** The page a citizen pays on, phone-sized: types a test card and presses pay (Arabic). */
async function payOnHostedPage(nextUrl: string, id: string, card: string, label: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  await page.goto(nextUrl);
  expect(await page.getAttribute('html', 'dir')).toBe('rtl');
  await screenshot(page, `${label}-page-ar`);
  await page.getByLabel(/رقم البطاقة/).fill(card);
  await page.getByLabel(/تاريخ الانتهاء/).fill('12/34');
  await page.getByLabel(/رمز الأمان/).fill('123');
  await screenshot(page, `${label}-card-ar`);
  await page.getByRole('button', { name: 'ادفع' }).click();
  await page.waitForURL(`**/pay/${id}/result**`);
  // On failure, the whole page says why (declined, not reached the PSP...).
  expect({ h1: await page.textContent('h1'), page: await page.innerText('body') }).toMatchObject({ h1: 'تم الدفع' });
  await screenshot(page, `${label}-paid-ar`);
  return page;
}

describe('taking a payment, as a ministry developer and a citizen would, through the gateway', () => {
  let token: string;
  let secret: string;
  const api = async (method: string, path: string, body?: object, headers: Record<string, string> = {}) =>
    json(
      await fetch(`${platform.gateway}/payments/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
        ...(body ? { body: JSON.stringify(body) } : {}),
      }),
    );
  const createPayment = async (amount: number, reference: string) => {
    const created = await api('POST', '/payments', { amount, currency: 'ILS', reference, description: 'رسوم تجديد جواز السفر', return_url: `${ministryUrl}/paid?ref=${reference}`, email: 'layla@example.org', phone_number: '0599 123 456' }, { 'idempotency-key': randomUUID() });
    expect(created).toMatchObject({ status: 201, body: { status: 'created', amount, currency: 'ILS', phone_number: '+970599123456', email: 'layla@example.org' } });
    expect(String(created.body.next_url)).toMatch(new RegExp(`^${platform.gateway}/pay/`));
    return { id: String(created.body.id), nextUrl: String(created.body.next_url) };
  };
  let paid: string;
  let disputed: string;
  let disputeId: string;

  it('gets a token and registers a webhook', async () => {
    token = await paymentsToken({ id: 'moi', ar: 'وزارة الداخلية', en: 'Ministry of Interior' }, 'payments:write payments:read reconciliation:read');
    const set = await api('PUT', '/webhook', { url: `${ministryUrl}/webhook` });
    expect(set).toMatchObject({ status: 200, body: { url: `${ministryUrl}/webhook` } });
    secret = String(set.body.secret);
    expect(secret).toMatch(/^whsec_/);
    // The ministry's name on its payment page and receipts, and a login asked above 500.00 ILS.
    const settings = await api('PUT', '/settings', { service_name: MINISTRY, login_required_above: { ILS: 50_000 } });
    expect(settings).toMatchObject({ status: 200, body: { service_name: MINISTRY, login_required_above: { ILS: 50_000 } } });
  }, 30_000);

  it('takes 150.00 ILS with 4242 4242 4242 4242 on the hosted page (Arabic), back to the service; the API says succeeded', async () => {
    const { id, nextUrl } = await createPayment(15_000, 'PASSPORT-0001');
    paid = id;
    const page = await payOnHostedPage(nextUrl, id, '4242 4242 4242 4242', 'passport');
    await page.getByRole('link', { name: 'العودة إلى الجهة' }).click();
    await page.waitForURL(`${ministryUrl}/paid?ref=PASSPORT-0001`);
    expect(await page.textContent('body')).toContain('back at the ministry');
    await screenshot(page, 'passport-back-at-the-ministry');
    await page.close();
    expect(returned).toContain('/paid?ref=PASSPORT-0001');
    // The return is no proof of payment: the API is.
    expect(await api('GET', `/payments/${id}`)).toMatchObject({ status: 200, body: { status: 'succeeded', refund_summary: { amount_refunded: 0, amount_available: 15_000 } } });

    // The receipt reaches the citizen by SMS and by e-mail (the sandbox's inboxes), naming the ministry, the amount and the reference.
    const sms = await waitFor(async () => (await inbox('sms', '+970599123456')).find((m) => String(m.body).includes('PASSPORT-0001')), { what: 'the SMS receipt', timeoutMs: 30_000 });
    expect(String(sms.body)).toContain(MINISTRY.ar);
    expect(String(sms.body)).toContain('١٥٠٫٠٠');
    const mail = await waitFor(async () => (await inbox('email', 'layla@example.org')).find((m) => String(m.subject).includes('PASSPORT-0001')), { what: 'the e-mail receipt', timeoutMs: 30_000 });
    expect(String(mail.text)).toContain(MINISTRY.ar);
    expect(String(mail.text)).toContain(id);
  }, 60_000);

  it('refunds half', async () => {
    const key = randomUUID();
    const refund = await api('POST', `/payments/${paid}/refunds`, { amount: 7_500, reason: 'half the fee waived' }, { 'idempotency-key': key });
    expect(refund).toMatchObject({ status: 201, body: { payment_id: paid, amount: 7_500, currency: 'ILS', status: 'succeeded' } });
    // The same key and request: the same refund, not a second one.
    const again = await api('POST', `/payments/${paid}/refunds`, { amount: 7_500, reason: 'half the fee waived' }, { 'idempotency-key': key });
    expect(again).toMatchObject({ status: 201, body: { id: refund.body.id, status: 'succeeded' } });
    expect(await api('GET', `/payments/${paid}`)).toMatchObject({ body: { status: 'succeeded', refund_summary: { amount_refunded: 7_500, amount_available: 7_500 } } });
  }, 30_000);

  it('a payment with the dispute card is disputed; winning evidence wins it', async () => {
    const { id, nextUrl } = await createPayment(4_000, 'PASSPORT-0002');
    disputed = id;
    const page = await payOnHostedPage(nextUrl, id, '4000 0000 0000 0259', 'disputed');
    await page.close();
    expect(await api('GET', `/payments/${id}`)).toMatchObject({ body: { status: 'succeeded' } });

    // The sandbox PSP opens the chargeback and tells payments by its signed webhook.
    const dispute = await waitFor(async () => {
      const list = await api('GET', '/disputes');
      return (list.body.disputes as Json[] | undefined)?.find((d) => d.payment_id === id);
    }, { what: 'the dispute on the second payment', timeoutMs: 20_000 });
    expect(dispute).toMatchObject({ amount: 4_000, currency: 'ILS', status: 'needs_response' });
    disputeId = String(dispute.id);

    const answered = await api('POST', `/disputes/${disputeId}/evidence`, { text: 'winning_evidence' });
    expect(answered.status).toBe(200);
    expect(['under_review', 'won']).toContain(answered.body.status);
    await waitFor(async () => (await api('GET', `/disputes/${disputeId}`)).body.status === 'won', { what: 'the dispute to be won', timeoutMs: 20_000 });
  }, 60_000);

  it('the trial balance says exactly what happened', async () => {
    // The chart (services/payments/src/ledger/chart-of-accounts.ts), in agorot:
    //   paid 15,000 + 4,000; refunded 7,500; the dispute: 4,000 withdrawn and reinstated (won),
    //   the sandbox's dispute fee 1,500 kept by the PSP; its processing fees (2.9 % + ₪1.10) on
    //   each payment, 545 and 226, kept by it too (psp_fees, not the ministry's).
    const revenue = -(15_000 + 4_000 - 7_500); // a credit: owed to the ministry
    const mine = await api('GET', '/ledger/trial-balance');
    expect(mine.status).toBe(200);
    expect(mine.body.scope).toBe('organisation');
    expect(mine.body.accounts).toEqual([{ account: 'ministry_revenue:moi', name: expect.any(String), kind: 'liability', currency: 'ILS', organisation_id: 'moi', debit: 0, credit: 11_500, balance: revenue }]);
    expect(mine.body.totals).toEqual([{ currency: 'ILS', debit: 0, credit: 11_500, net: revenue }]);

    // The platform's finance staff see every account, and every currency nets to zero.
    const platformToken = await paymentsToken({ id: 'tamkeen', ar: 'تمكين', en: 'Tamkeen' }, 'reconciliation:read');
    const all = await json(await fetch(`${platform.gateway}/payments/v1/ledger/trial-balance`, { headers: { authorization: `Bearer ${platformToken}` } }));
    expect(all.status).toBe(200);
    expect(all.body.scope).toBe('platform');
    const balances = Object.fromEntries((all.body.accounts as Json[]).map((a) => [`${String(a.account)} ${String(a.currency)}`, a.balance]));
    expect(balances).toEqual({
      'ministry_revenue:moi ILS': revenue,
      'psp_receivable ILS': 15_000 + 4_000 - 545 - 226 - 7_500 - 4_000 - 1_500 + 4_000,
      'psp_fees ILS': 1_500 + 545 + 226,
      'disputes ILS': 0,
    });
    expect(all.body.totals).toEqual([{ currency: 'ILS', debit: 15_000 + 4_000 - 545 - 226 - 7_500 - 4_000 - 1_500 + 4_000 + 1_500 + 545 + 226, credit: 11_500, net: 0 }]);
  }, 30_000);

  it('the webhook got a signed notice of every change', async () => {
    const expected = [
      ...['payment.created', 'payment.started', 'payment.submitted', 'payment.succeeded', 'refund.succeeded'].map((type) => `${paid} ${type}`),
      ...['payment.created', 'payment.started', 'payment.submitted', 'payment.succeeded', 'dispute.created', 'dispute.won'].map((type) => `${disputed} ${type}`),
    ];
    const paymentOf = (notice: Notice) => {
      const data = notice.data as { payment?: { id: string }; payment_id?: string; dispute?: { payment_id: string } };
      return data.payment?.id ?? data.payment_id ?? data.dispute?.payment_id;
    };
    const notices = await waitFor(() => {
      const got = received.map((r) => JSON.parse(r.body) as Notice);
      const seen = new Set(got.map((n) => `${paymentOf(n)} ${n.type}`));
      return expected.every((e) => seen.has(e)) && got;
    }, { what: `the notices ${expected.join(', ')}`, timeoutMs: 45_000 }).catch((error: unknown) => {
      throw new Error(`${String(error)}; received: ${received.map((r) => `${paymentOf(JSON.parse(r.body) as Notice)} ${(JSON.parse(r.body) as Notice).type}`).join(', ')}`);
    });
    for (const { body, signature } of received) expect({ body, signed: signedBy(secret, body, signature) }).toEqual({ body, signed: true });
    // In order per payment, each notice once (repeats of an id are allowed and dropped).
    const unique = [...new Map(notices.map((n) => [n.id, n])).values()];
    const typesOf = (id: string) => unique.filter((n) => paymentOf(n) === id).map((n) => n.type);
    expect(typesOf(paid)).toEqual(['payment.created', 'payment.started', 'payment.submitted', 'payment.succeeded', 'refund.succeeded']);
    expect(typesOf(disputed)).toEqual(['payment.created', 'payment.started', 'payment.submitted', 'payment.succeeded', 'dispute.created', 'dispute.won']);
    expect(unique.find((n) => n.type === 'dispute.won')?.data).toMatchObject({ dispute: { id: disputeId, status: 'won' } });
  }, 60_000);

  it('above the ministry’s threshold, the citizen logs in (password and SMS code) before paying; the payment records who paid', async () => {
    await platform.command('identity', 'admin.js', ['citizen', 'add', '--national-id', OMAR.nationalId, '--password', OMAR.password, '--phone', OMAR.phone]);
    const created = await api('POST', '/payments', { amount: 60_000, currency: 'ILS', reference: 'RESIDENCY-0001', description: 'رسوم إقامة', return_url: `${ministryUrl}/paid?ref=RESIDENCY-0001` }, { 'idempotency-key': randomUUID() });
    expect(created.status).toBe(201);
    const id = String(created.body.id);
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.goto(String(created.body.next_url));
    // The ministry's own name; no card form until the citizen has logged in.
    expect(await page.textContent('#ministry')).toBe(MINISTRY.ar);
    expect(await page.textContent('h1')).toBe('سجّل الدخول لتدفع');
    expect(await page.locator('#pay-form').count()).toBe(0);
    await screenshot(page, 'residency-login-needed-ar');
    await page.getByRole('link', { name: 'سجّل الدخول لتدفع' }).click();
    // The citizen issuer's own pages, through the gateway: the ID number and password, then the code sent by SMS.
    await page.getByLabel('رقم الهوية').fill(OMAR.nationalId);
    await page.getByLabel('كلمة المرور').fill(OMAR.password);
    await page.getByRole('button', { name: 'دخول' }).click();
    const code = await waitFor(async () => /([0-9]{6})/.exec(String((await inbox('sms', OMAR.phone))[0]?.body ?? ''))?.[1], { what: 'the login code in the sandbox SMS inbox', timeoutMs: 30_000 });
    await page.getByLabel('رمز التحقق').fill(code);
    await page.getByRole('button', { name: 'تحقّق' }).click();
    await page.waitForURL(`**/pay/${id}?lang=ar`);
    await screenshot(page, 'residency-logged-in-ar');
    await page.getByLabel(/رقم البطاقة/).fill('4242 4242 4242 4242');
    await page.getByLabel(/تاريخ الانتهاء/).fill('12/34');
    await page.getByLabel(/رمز الأمان/).fill('123');
    await page.getByRole('button', { name: 'ادفع' }).click();
    await page.waitForURL(`**/pay/${id}/result**`);
    expect(await page.textContent('h1')).toBe('تم الدفع');
    await page.close();
    const payment = await api('GET', `/payments/${id}`);
    expect(payment.body).toMatchObject({ status: 'succeeded', paid_by: expect.any(String) });
    // Who paid is the citizen issuer's subject for Omar, never his ID number.
    expect(String(payment.body.paid_by)).not.toContain(OMAR.nationalId);
    const events = await api('GET', `/payments/${id}/events`);
    expect(JSON.stringify(events.body)).toContain('urn:tamkeen:loa:substantial');
  }, 90_000);
});
