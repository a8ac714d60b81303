import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '@tamkeen/testing';
import { chromium, type Browser, type Page } from 'playwright-core';
import request from 'supertest';
import { stripeAdapter } from '../psp/stripe-adapter.js';
import { startSandbox, type RunningSandbox } from '../psp/test-sandbox.js';
import { testPayments, type TestPayments } from '../test-payments.js';

// The payments service listening on a port of its own, the sandbox PSP, a ministry's service to
// come back to, and Debian's Chromium typing test cards. Screenshots: services/payments/output/pay-page.
const output = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'output', 'pay-page');

let sandbox: RunningSandbox;
let service: TestPayments;
let server: Server;
let ministry: Server;
let ministryUrl: string;
let publicUrl: string;
let browser: Browser;
let write: string;
let shot = 0;

beforeAll(async () => {
  mkdirSync(output, { recursive: true });
  sandbox = await startSandbox();
  const port = await freePort();
  publicUrl = `http://127.0.0.1:${port}`;
  const psp = stripeAdapter({ apiUrl: sandbox.url, secretKey: sandbox.secretKey, timeoutMs: 5_000 });
  service = await testPayments('pay browser', {
    psp,
    env: { PUBLIC_URL: publicUrl, PSP_API_URL: sandbox.url, PSP_SECRET_KEY: sandbox.secretKey, PSP_PUBLISHABLE_KEY: sandbox.publishableKey },
  });
  server = service.app.listen(port, '127.0.0.1');
  ministry = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('back at the ministry'));
  await new Promise<void>((resolve) => ministry.listen(0, '127.0.0.1', resolve));
  ministryUrl = `http://127.0.0.1:${(ministry.address() as AddressInfo).port}`;
  write = await service.bearer('payments:write');
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  await new Promise((resolve) => ministry?.close(resolve));
  await service?.close();
  await sandbox?.stop();
});

const screenshot = (page: Page, name: string) => page.screenshot({ path: join(output, `${String(++shot).padStart(2, '0')}-${name}.png`), fullPage: true });

async function newPayment(): Promise<{ id: string; nextUrl: string }> {
  const created = await request(service.app)
    .post('/payments/v1/payments')
    .set('Authorization', write)
    .set('Idempotency-Key', randomUUID())
    .send({ amount: 15_000, currency: 'ILS', reference: `PASSPORT-${randomUUID().slice(0, 8)}`, description: 'Passport renewal fee', return_url: `${ministryUrl}/paid` });
  return { id: created.body.id as string, nextUrl: created.body.next_url as string };
}

const status = async (id: string) => (await request(service.app).get(`/payments/v1/payments/${id}`).set('Authorization', write)).body.status as string;

/** A phone-sized page that records everything the browser sends to the payments service. */
async function phonePage(): Promise<{ page: Page; sentToService: string[] }> {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  const sentToService: string[] = [];
  page.on('request', (r) => {
    if (r.url().startsWith(publicUrl)) sentToService.push(`${r.url()} ${r.postData() ?? ''}`);
  });
  return { page, sentToService };
}

async function typeCard(page: Page, number: string) {
  await page.getByLabel(/Card number|رقم البطاقة/).fill(number);
  await page.getByLabel(/Expiry date|تاريخ الانتهاء/).fill('12/34');
  await page.getByLabel(/Security code|رمز الأمان/).fill('123');
}

describe('the payment page in Chromium', () => {
  it('pays with 4242 4242 4242 4242 (Arabic), back to the ministry; the card never reaches the service', async () => {
    const { id, nextUrl } = await newPayment();
    const { page, sentToService } = await phonePage();
    await page.goto(nextUrl);
    expect(await page.getAttribute('html', 'dir')).toBe('rtl');
    await typeCard(page, '4242 4242 4242 4242');
    await screenshot(page, 'card-ar');
    await page.getByRole('button', { name: 'ادفع' }).click();
    await page.waitForURL(`**/pay/${id}/result**`);
    expect(await page.textContent('h1')).toBe('تم الدفع');
    await screenshot(page, 'paid-ar');
    await page.getByRole('link', { name: 'العودة إلى الجهة' }).click();
    await page.waitForURL(`${ministryUrl}/paid`);
    expect(await page.textContent('body')).toContain('back at the ministry');
    expect(await status(id)).toBe('succeeded');
    expect(sentToService.join('\n')).not.toMatch(/4242/);
    await page.close();
  });

  it('ends the decline card (4000 0000 0000 0002) failed, saying why (English)', async () => {
    const { id, nextUrl } = await newPayment();
    const { page } = await phonePage();
    await page.goto(`${nextUrl}?lang=en`);
    await typeCard(page, '4000000000000002');
    await page.getByRole('button', { name: 'Pay' }).click();
    await page.waitForURL(`**/pay/${id}/result**`);
    expect(await page.textContent('h1')).toBe('Your payment did not go through');
    expect(await page.textContent('#reason')).toBe('Your card’s bank declined the payment.');
    await screenshot(page, 'declined-en');
    expect(await status(id)).toBe('failed');
    await page.close();
  });

  it('says what is wrong with a mistyped card before anything is sent', async () => {
    const { id, nextUrl } = await newPayment();
    const { page } = await phonePage();
    await page.goto(`${nextUrl}?lang=en`);
    await typeCard(page, '4242 4242 4242 4241');
    await page.getByRole('button', { name: 'Pay' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe('The card number is not right. Check the digits.');
    expect(await page.getAttribute('#card-number', 'aria-invalid')).toBe('true');
    await screenshot(page, 'mistyped-en');
    expect(await status(id)).toBe('started');
    await page.close();
  });

  it('pays with the 3-D Secure card through the PSP’s challenge page (English)', async () => {
    const { id, nextUrl } = await newPayment();
    const { page } = await phonePage();
    await page.goto(`${nextUrl}?lang=en`);
    await typeCard(page, '4000002500003155');
    await page.getByRole('button', { name: 'Pay' }).click();
    await page.waitForURL(`${sandbox.url}/stripe/3d-secure/**`);
    await screenshot(page, '3ds-challenge');
    await page.getByRole('button', { name: 'Complete' }).click();
    await page.waitForURL(`**/pay/${id}/result?lang=en`);
    expect(await page.textContent('h1')).toBe('Payment received');
    await screenshot(page, '3ds-paid-en');
    expect(await status(id)).toBe('succeeded');
    await page.close();
  });
});
