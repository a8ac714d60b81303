import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chromium, type Browser, type Page } from 'playwright-core';
import request from 'supertest';
import { ledgerDay } from '../ledger/ledger.js';
import { camt053 } from '../statements/test-statements.js';
import { raiseException } from '../reconciliation/exceptions.js';
import { settingsRepository } from '../settings/settings-repository.js';
import { appCode, disputeOf, paidPayment, startFinanceWorld, STAFF_PASSWORD, TREASURY, type FinanceWorld, type Staff } from './test-finance.js';

// Two finance officers, each on a phone (two browser contexts: two people), in Debian's Chromium,
// in Arabic: the first logs in at the enterprise issuer (password, then linking the authenticator
// app), goes from the dashboard to the exception and asks for a write-off; the second logs in and
// approves it (four eyes). Screenshots: services/payments/output/finance.
const output = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'output', 'finance');
const PHONE = { width: 390, height: 844 };

let world: FinanceWorld;
let browser: Browser;
let shot = 0;

beforeAll(async () => {
  mkdirSync(output, { recursive: true });
  world = await startFinanceWorld('payments finance browser');
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await world?.close();
}, 30_000);

const screenshot = (page: Page, name: string) => page.screenshot({ path: join(output, `${String(++shot).padStart(2, '0')}-${name}.png`), fullPage: true });
/** Made for a phone: nothing wider than the screen (tables scroll inside their own region). */
const fitsThePhone = async (page: Page) => expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);

/** At the enterprise issuer's Arabic pages: e-mail address and password, then linking the app (the first login) with its first code. */
async function logIn(page: Page, staff: Staff, name: string) {
  await page.getByLabel('البريد الإلكتروني').waitFor();
  expect(await page.getAttribute('html', 'dir')).toBe('rtl');
  await page.getByLabel('البريد الإلكتروني').fill(staff.email);
  await page.getByLabel('كلمة المرور').fill(STAFF_PASSWORD);
  await page.getByRole('button', { name: 'دخول' }).click();
  await page.getByRole('heading', { name: 'اربط تطبيق مصادقة' }).waitFor();
  await screenshot(page, `${name}-links-the-app`);
  staff.key = (await page.locator('#authenticator_key').textContent())!.replace(/\s/g, '');
  await page.getByLabel('الرمز الذي يظهره التطبيق الآن').fill(await appCode(staff));
  await page.getByRole('button', { name: 'اربط التطبيق' }).click();
}

describe('the finance console in Chromium, on a phone, in Arabic', () => {
  it('logs an officer in and resolves an item with a write-off that a second officer approves', async () => {
    const now = world.service.clock.now;
    const knex = world.service.stores.knex;
    await settingsRepository(knex).put('moh', { serviceName: { ar: 'وزارة الصحة — العيادات', en: 'Ministry of Health — Clinics' }, loginRequiredAbove: {} }, 'test');
    await paidPayment(knex, { organisationId: 'moh', amount: 15_000, currency: 'ILS', at: now });
    await paidPayment(knex, { organisationId: 'moh', amount: 25_000, currency: 'JOD', at: now });
    await disputeOf(knex, await paidPayment(knex, { organisationId: 'moh', amount: 7_000, currency: 'ILS', at: now }), { status: 'needs_response', evidenceDueBy: new Date(now.getTime() + 2 * 86_400_000), at: now });
    const { id } = await raiseException(knex, { kind: 'amount_mismatch', dedupeKey: `finance-browser:${randomUUID()}`, organisationId: 'moh', currency: 'ILS', amount: 14_900, expectedAmount: 15_000, balanceTransactionId: 'txn_browser_1', details: { rule: 'by PSP id' } });
    const salma = await world.staff({ name: 'Salma Barghouti', roles: 'finance_officer' });
    const karim = await world.staff({ name: 'Karim Odeh', roles: 'finance_officer' });

    // The first officer, on her phone.
    const first = await browser.newContext({ viewport: PHONE, locale: 'ar' });
    const page = await first.newPage();
    await page.goto(`${world.publicUrl}/finance`);
    await logIn(page, salma, 'salma');
    await page.waitForURL(`${world.publicUrl}/finance`);
    expect(await page.getAttribute('html', 'dir')).toBe('rtl');
    expect(await page.textContent('h1')).toBe('ملخص اليوم');
    expect(await page.textContent('#officer')).toBe('Salma Barghouti');
    await page.getByRole('table', { name: /مقبوضات يوم/ }).waitFor();
    await fitsThePhone(page);
    await screenshot(page, 'dashboard');
    // From the keyboard, the focus is visible.
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle')).toBe('solid');

    await page.getByRole('link', { name: 'مبلغ مختلف عن سجلاتنا' }).click();
    await page.waitForURL(/\/finance\/exceptions\?kind=amount_mismatch/);
    await fitsThePhone(page);
    await screenshot(page, 'queue');
    await page.getByRole('table', { name: 'البنود، الأقدم أولًا' }).getByRole('link', { name: 'مبلغ مختلف عن سجلاتنا' }).click();
    await page.waitForURL(`${world.publicUrl}/finance/exceptions/${id}`);
    expect(await page.textContent('#status')).toBe('مفتوح');
    await fitsThePhone(page);
    await screenshot(page, 'exception');
    const writeOff = page.getByRole('region', { name: 'طلب شطب' });
    await writeOff.getByLabel('السبب').fill('لن يدفع مزوّد الدفع فرق الشيكل.');
    await writeOff.getByRole('button', { name: 'اطلب الشطب' }).click();
    await page.getByRole('status').waitFor();
    expect(await page.textContent('#done')).toBe('طُلب الشطب، وينتظر موافقة موظف مالية آخر.');
    expect(await page.textContent('#status')).toBe('بانتظار الموافقة');
    // She cannot approve her own: the page says so instead of offering it.
    expect(await page.getByRole('button', { name: 'وافق على الشطب' }).count()).toBe(0);
    expect(await page.textContent('#own-request')).toContain('مبدأ الأربع عيون');
    await screenshot(page, 'write-off-asked');

    // The second officer, on his phone, opens the item from a link: the login brings him back to it.
    const second = await browser.newContext({ viewport: PHONE, locale: 'ar' });
    const other = await second.newPage();
    await other.goto(`${world.publicUrl}/finance/exceptions/${id}`);
    await logIn(other, karim, 'karim');
    await other.waitForURL(`${world.publicUrl}/finance/exceptions/${id}`);
    expect(await other.textContent('#officer')).toBe('Karim Odeh');
    await screenshot(other, 'approval');
    const approval = other.getByRole('region', { name: 'شطب بانتظار الموافقة' });
    await approval.getByRole('button', { name: 'وافق على الشطب' }).click();
    await other.getByRole('status').waitFor();
    expect(await other.textContent('#done')).toBe('وُوفق على الشطب وسُجّل القيد، وحُلّ البند.');
    expect(await other.textContent('#status')).toBe('محلول');
    await fitsThePhone(other);
    await screenshot(other, 'resolved');

    const history = await knex('reconciliation_exception_events').where({ exception_id: id }).orderBy('id').select('action', 'actor');
    expect(history.map((h: { action: string; actor: string }) => [h.action, h.actor])).toEqual([
      ['raised', 'system'],
      ['write_off_requested', salma.sub],
      ['approved', karim.sub],
      ['resolved', karim.sub],
    ]);
    expect(await knex('journal_entries').where({ source_type: 'exception_write_off', source_id: id })).toHaveLength(1);

    // She uploads the day's bank statement: its payout credit matches the PSP's payout; a credit nobody explains becomes an item.
    const day = ledgerDay(now);
    await knex('payouts').insert({ id: 'po_browser_1', amount: 39_310, currency: 'ILS', status: 'paid', arrival_date: day, created: now, automatic: true, trace_id: 'TRACE-BROWSER-1', statement_descriptor: 'PSP TRACE-BROWSER-1' });
    const file = camt053([
      {
        account: TREASURY[0]!.account,
        currency: 'ILS',
        id: `BROWSER-${day}`,
        openingDate: day,
        closingDate: day,
        opening: 1_000_000,
        entries: [
          { amount: 39_310, direction: 'credit', valueDate: day, text: 'STRIPE PAYOUT TRACE-BROWSER-1' },
          { amount: 5_000, direction: 'credit', valueDate: day, text: 'Unknown transfer' },
        ],
      },
    ]);
    await page.getByRole('navigation', { name: 'أقسام وحدة المالية' }).getByRole('link', { name: 'كشوف البنك' }).click();
    await page.waitForURL(`${world.publicUrl}/finance/statements`);
    expect(await page.textContent('h1')).toBe('رفع كشف حساب بنكي');
    await page.getByLabel('ملف الكشف').setInputFiles({ name: `treasury-ils-${day}.xml`, mimeType: 'application/xml', buffer: Buffer.from(file) });
    await page.getByRole('button', { name: 'ارفع الكشف وتحقّق منه' }).click();
    await page.getByRole('status').waitFor();
    expect(await page.textContent('#done')).toBe('قُبل الكشف وحُفظ، وطُوبقت إيداعاته مع دفعات مزوّد الدفع.');
    expect(await page.getByRole('table', { name: 'الكشوف في الملف' }).getByRole('row').count()).toBe(2);
    await fitsThePhone(page);
    await screenshot(page, 'statement-uploaded');
    expect(await knex('bank_statement_matched_payouts').where({ payout_id: 'po_browser_1' })).toHaveLength(1);
    await page.getByRole('link', { name: 'افتح البنود غير المطابقة' }).click();
    await page.getByRole('table', { name: 'البنود، الأقدم أولًا' }).getByRole('link', { name: 'إيداع بنكي بلا دفعة' }).waitFor();

    // And downloads the day's receipts report, whose figures are the ledger's (the trial balance's).
    await page.getByRole('navigation', { name: 'أقسام وحدة المالية' }).getByRole('link', { name: 'التقارير' }).click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'CSV' }).first().click()]);
    expect(download.suggestedFilename()).toBe(`daily-receipts-${day}.csv`);
    const [header, ...lines] = readFileSync((await download.path())!, 'utf8').trim().split('\r\n').map((line) => line.split(','));
    const report = lines.map((line) => Object.fromEntries(header!.map((column, i) => [column, line[i]])));
    const trial = await request(world.service.app).get('/payments/v1/ledger/trial-balance').set('Authorization', await world.service.bearer('reconciliation:read', 'tamkeen'));
    expect(trial.status).toBe(200);
    const revenue = (currency: string) => -(trial.body.accounts as Array<{ account: string; currency: string; balance: number }>).find((a) => a.account === 'ministry_revenue:moh' && a.currency === currency)!.balance;
    for (const currency of ['ILS', 'JOD']) {
      const row = report.find((r) => r.organisation_id === 'moh' && r.currency === currency)!;
      expect(Number(row.gross)).toBe(revenue(currency));
    }
    expect(report.find((r) => r.organisation_id === 'moh' && r.currency === 'ILS')).toMatchObject({ gross: '22000' });

    // And she logs out.
    await page.reload();
    await page.getByRole('button', { name: 'تسجيل الخروج' }).click();
    await page.waitForURL(`${world.publicUrl}/finance/logged-out`);
    expect(await page.textContent('h1')).toBe('سجّلت الخروج');
    await first.close();
    await second.close();
  }, 120_000);
});
