import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { formatMoney } from '../domain/money.js';
import { ledgerDay } from '../ledger/ledger.js';
import { raiseException, type RaisedException } from '../reconciliation/exceptions.js';
import { settingsRepository } from '../settings/settings-repository.js';
import { consolePath } from './finance-login.js';
import { financeSessions } from './finance-sessions.js';
import { camt053, mt940, type GeneratedStatement } from '../statements/test-statements.js';
import { disputeOf, FINANCE_CLIENT_ID, paidPayment, refundOf, startFinanceWorld, TREASURY, type FinanceBrowser, type FinanceWorld, type Page, type Staff } from './test-finance.js';

// The finance console (/finance) against the real enterprise issuer (identity and the register,
// from their builds): a finance officer of the platform logs in with their password and
// authenticator app; the pages show the day's receipts, the unreconciled items and the disputes
// due; the exception queue is worked from its pages, each action recorded with the officer's sub.

let world: FinanceWorld;
let amal: Staff;
let bilal: Staff;
const officers = new Map<string, FinanceBrowser>();

beforeAll(async () => {
  world = await startFinanceWorld('payments finance console');
  amal = await world.staff({ name: 'Amal Haddad', roles: 'finance_officer' });
  bilal = await world.staff({ name: 'Bilal Nassar', roles: 'finance_officer,developer' });
  // Both log in once (linking their app): then each is a finance officer the console knows, to assign to.
  for (const staff of [amal, bilal]) {
    const agent = world.browser();
    expect((await agent.logIn(staff)).status).toBe(200);
    officers.set(staff.sub, agent);
  }
}, 120_000); // starts real services: seconds on a busy machine
afterAll(() => world?.close(), 30_000);

const app = () => world.service.app;
const knex = () => world.service.stores.knex;
const as = (staff: Staff) => officers.get(staff.sub)!;
const open = async (agent: FinanceBrowser, path: string) => agent.follow(await agent.go(path));
const raise = async (overrides: Partial<RaisedException> = {}) =>
  (await raiseException(knex(), { kind: 'amount_mismatch', dedupeKey: `finance:${randomUUID()}`, currency: 'ILS', amount: 14_900, expectedAmount: 15_000, balanceTransactionId: 'txn_finance_1', organisationId: 'moh', details: { rule: 'by PSP id' }, ...overrides })).id;
const history = async (id: string) => knex()('reconciliation_exception_events').where({ exception_id: id }).orderBy('id').select('action', 'actor', 'reason');
const statusOf = async (id: string) => (await knex()('reconciliation_exceptions').where({ id }).first('status')).status as string;
/** The text of an element with this id (tags dropped, entities as written). */
const textOf = (html: string, id: string) => new RegExp(`id="${id}"[^>]*>([\\s\\S]*?)</`).exec(html)?.[1]?.replace(/<[^>]+>/g, '');
/** The rows of a table's body (or foot), each a list of its cells' text. */
function rowsOf(html: string, tableId: string, part: 'tbody' | 'tfoot' = 'tbody'): string[][] {
  const table = new RegExp(`<table id="${tableId}-table">([\\s\\S]*?)</table>`).exec(html)?.[1] ?? '';
  const body = new RegExp(`<${part}>([\\s\\S]*?)</${part}>`).exec(table)?.[1] ?? '';
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((r) => [...r[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => c[1]!.replace(/<br>/g, ' ').replace(/<[^>]+>/g, '').trim()));
}

describe('logging in to the finance console', () => {
  it('sends a browser without a session to the staff login: the enterprise issuer, asked for substantial with PKCE, state, nonce and a fresh login', async () => {
    const page = await request(app()).get('/finance/exceptions?status=open&lang=en');
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe(`/finance/login?next=${encodeURIComponent('/finance/exceptions?status=open&lang=en')}&lang=en`);
    const login = await request(app()).get(page.headers.location!);
    expect(login.status).toBe(303);
    const authorization = new URL(login.headers.location!);
    expect(`${authorization.origin}${authorization.pathname}`).toBe(`${world.identity.publicUrl}/auth/enterprise/auth`);
    const asked = Object.fromEntries(authorization.searchParams);
    expect(asked).toMatchObject({
      client_id: FINANCE_CLIENT_ID,
      response_type: 'code',
      redirect_uri: `${world.publicUrl}/finance/login/callback`,
      scope: 'openid profile email',
      acr_values: 'urn:tamkeen:loa:substantial',
      prompt: 'login',
      ui_locales: 'en',
      code_challenge_method: 'S256',
    });
    for (const random of ['state', 'nonce', 'code_challenge']) expect(asked[random]).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The login is bound to this browser: an HttpOnly cookie for the callback only.
    expect(login.headers['set-cookie']![0]).toMatch(/^tamkeen_finance_browser=[A-Za-z0-9_-]{43}; Max-Age=600; Path=\/finance\/login\/callback; Expires=[^;]+; HttpOnly; SameSite=Lax$/);
    // A form posted without a session records nothing, and says why (in Arabic, the default).
    const posted = await request(app()).post(`/finance/exceptions/${randomUUID()}/comments`).type('form').send({ csrf: 'x', text: 'y' });
    expect(posted.status).toBe(403);
    expect(posted.text).toContain('انتهت جلستك في وحدة المالية، فلم يُسجَّل شيء.');
    // A callback nobody started.
    expect((await request(app()).get(`/finance/login/callback?code=abc&state=${'x'.repeat(43)}`)).status).toBe(400);
  });

  it('logs a finance officer in (password, then the authenticator app) at high, back on the page asked for; the session cookie is HttpOnly and SameSite=Lax, rotated at every login, ended by logging out', async () => {
    const carmen = await world.staff({ name: 'Carmen Saba', roles: 'finance_officer' });
    const agent = world.browser();
    const landed = await agent.logIn(carmen, '/finance/exceptions?status=open&lang=en');
    expect(landed.url).toBe(`${world.publicUrl}/finance/exceptions?status=open&lang=en`);
    expect(landed.status).toBe(200);
    expect(landed.html).toContain('<h1>Unreconciled items</h1>');
    expect(textOf(landed.html, 'officer')).toBe('Carmen Saba');
    const [cookie] = agent.cookieLines('tamkeen_finance');
    expect(cookie).toMatch(/^tamkeen_finance=[A-Za-z0-9_-]{43}; Path=\/finance; HttpOnly; SameSite=Lax$/);
    expect(world.service.logs.lines.some((l) => l.msg === 'a finance officer logged in to the finance console' && l.officer === carmen.sub && l.acr === 'urn:tamkeen:loa:high')).toBe(true);

    // Logging in again in this browser (the issuer asks again: prompt=login) gives a new session; the old one is gone.
    const first = agent.cookie('tamkeen_finance')!;
    expect((await agent.logIn(carmen, `/finance/login?lang=en&next=${encodeURIComponent('/finance?lang=en')}`)).html).toContain('<h1>Today</h1>');
    const second = agent.cookie('tamkeen_finance')!;
    expect(second).not.toBe(first);
    expect((await request(app()).get('/finance').set('Cookie', `tamkeen_finance=${first}`)).status).toBe(303);
    expect((await request(app()).get('/finance').set('Cookie', agent.cookies())).status).toBe(200);

    // Logging out takes the session's token; then the session is gone.
    expect((await agent.go('/finance/logout?lang=en', { csrf: 'not-the-token' })).status).toBe(403);
    const dashboard = await open(agent, '/finance?lang=en');
    const out = await agent.submit(dashboard, {}, 'logout');
    expect(out.url).toBe(`${world.publicUrl}/finance/logged-out?lang=en`);
    expect(textOf(out.html, 'message')).toBe('You are logged out of the finance console.');
    expect(agent.cookie('tamkeen_finance')).toBeUndefined();
    expect((await request(app()).get('/finance').set('Cookie', `tamkeen_finance=${second}`)).status).toBe(303);
    // Neither the session ids nor the CSRF token reach a log line.
    for (const secret of [first, second, /name="csrf" value="([^"]+)"/.exec(dashboard.html)![1]!]) expect(world.service.logs.text()).not.toContain(secret);
  }, 90_000);

  it('refuses, with a page that says why, a staff member without the finance officer role, and another organisation\'s finance officer', async () => {
    const dana = await world.staff({ name: 'Dana Khalil', roles: 'developer' });
    const developer = world.browser();
    const refused = await developer.logIn(dana, '/finance?lang=en');
    expect(refused.status).toBe(403);
    expect(refused.html).toContain('<h1>The finance console is not for your account</h1>');
    expect(textOf(refused.html, 'message')).toContain('your account does not have the finance officer role');
    expect(developer.cookie('tamkeen_finance')).toBeUndefined();
    expect((await developer.go('/finance')).status).toBe(303);

    const fadi = await world.staff({ name: 'Fadi Odeh', roles: 'finance_officer', organisation: 'mof' });
    const ministry = world.browser();
    const other = await ministry.logIn(fadi);
    expect(other.status).toBe(403);
    expect(other.html).toContain('<html lang="ar" dir="rtl">');
    expect(textOf(other.html, 'message')).toContain('حسابك لجهة أخرى');
    expect(ministry.cookie('tamkeen_finance')).toBeUndefined();
    expect(world.service.logs.lines.filter((l) => l.reason === 'not_finance_officer' || l.reason === 'other_organisation').map((l) => [l.sub, l.reason])).toEqual([
      [dana.sub, 'not_finance_officer'],
      [fadi.sub, 'other_organisation'],
    ]);
  }, 60_000);

  it('keeps a login only to console pages of its own origin', () => {
    expect(consolePath('/finance/exceptions?kind=x&lang=en')).toBe('/finance/exceptions?kind=x&lang=en');
    for (const hostile of ['https://evil.example/finance', '//evil.example/finance', '/finance/../pay', '/financex', '/finance/login/callback?code=1', '/\\evil.example', undefined, ['/finance']]) {
      expect(consolePath(hostile)).toBe('/finance');
    }
  });

  it('makes the session cookie Secure when the platform is served over https', async () => {
    const sessions = financeSessions({ redis: world.service.stores.redis, keyPrefix: `${world.redisPrefix}:secure`, secure: true, idleS: 60 });
    const mini = express().get('/finance/x', async (req, res) => {
      await sessions.create(req, res, { sub: 's', name: 'n', email: '', organisationId: 'tamkeen', roles: ['finance_officer'], acr: 'urn:tamkeen:loa:high', amr: ['pwd', 'otp'], authTime: null });
      res.end();
    });
    expect((await request(mini).get('/finance/x')).headers['set-cookie']![0]).toMatch(/; Path=\/finance; HttpOnly; Secure; SameSite=Lax$/);
  });

  it('ends a session after its maximum lifetime, however busy it is', async () => {
    const clock = { now: Date.now() };
    const sessions = financeSessions({ redis: world.service.stores.redis, keyPrefix: `${world.redisPrefix}:max`, secure: false, idleS: 60, maxS: 3_600, now: () => clock.now });
    const mini = express()
      .get('/finance/login', async (req, res) => {
        await sessions.create(req, res, { sub: 's', name: 'n', email: '', organisationId: 'tamkeen', roles: ['finance_officer'], acr: 'urn:tamkeen:loa:high', amr: ['pwd', 'otp'], authTime: null });
        res.end();
      })
      .get('/finance', async (req, res) => {
        res.status((await sessions.read(req, res)) ? 200 : 401).end();
      });
    const cookie = (await request(mini).get('/finance/login')).headers['set-cookie']![0]!.split(';')[0]!;
    clock.now += 3_599_000;
    expect((await request(mini).get('/finance').set('Cookie', cookie)).status).toBe(200);
    clock.now += 2_000;
    expect((await request(mini).get('/finance').set('Cookie', cookie)).status).toBe(401);
  });
});

describe('the dashboard', () => {
  it('shows today\'s receipts by ministry and currency from the ledger, the open items by kind with the oldest\'s age, and the disputes whose evidence is due soon', async () => {
    const now = world.service.clock.now;
    await settingsRepository(knex()).put('moh', { serviceName: { ar: 'وزارة الصحة — العيادات', en: 'Ministry of Health — Clinics' }, loginRequiredAbove: {} }, 'test');
    const clinic = await paidPayment(knex(), { organisationId: 'moh', amount: 15_000, currency: 'ILS', at: now });
    await refundOf(knex(), clinic, 5_000, now);
    const chargedBack = await paidPayment(knex(), { organisationId: 'moh', amount: 10_000, currency: 'ILS', at: now });
    await disputeOf(knex(), chargedBack, { status: 'lost', evidenceDueBy: null, at: now });
    await paidPayment(knex(), { organisationId: 'moh', amount: 25_000, currency: 'JOD', at: now });
    await paidPayment(knex(), { organisationId: 'mol', amount: 4_000, currency: 'ILS', at: now });
    // Disputes still open: one due in two days, one overdue, one far off, one already answered.
    const soon = await disputeOf(knex(), await paidPayment(knex(), { organisationId: 'mol', amount: 7_000, currency: 'ILS', at: now, reference: 'PERMIT-77' }), { status: 'needs_response', evidenceDueBy: new Date(now.getTime() + 2 * 86_400_000), at: now, reason: 'product_not_received' });
    const late = await disputeOf(knex(), await paidPayment(knex(), { organisationId: 'moh', amount: 3_000, currency: 'ILS', at: now }), { status: 'needs_response', evidenceDueBy: new Date(now.getTime() - 86_400_000), at: now });
    await disputeOf(knex(), await paidPayment(knex(), { organisationId: 'moh', amount: 3_000, currency: 'ILS', at: now }), { status: 'needs_response', evidenceDueBy: new Date(now.getTime() + 20 * 86_400_000), at: now });
    await disputeOf(knex(), await paidPayment(knex(), { organisationId: 'moh', amount: 3_000, currency: 'ILS', at: now }), { status: 'under_review', evidenceDueBy: new Date(now.getTime() + 86_400_000), at: now });
    // Two payouts the bank never showed, the older raised three days ago (a kind no other test here raises).
    const older = await raise({ kind: 'unmatched_payout', amount: 9_000, expectedAmount: null, payoutId: 'po_old', organisationId: null });
    await knex()('reconciliation_exceptions').where({ id: older }).update({ raised_at: new Date(now.getTime() - 3 * 86_400_000 - 3_600_000) });
    await raise({ kind: 'unmatched_payout', amount: 4_000, expectedAmount: null, payoutId: 'po_new', organisationId: null });

    const page = await open(as(amal), '/finance?lang=en');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
    const ils = (amount: number) => formatMoney({ amount, currency: 'ILS' }, 'en');
    const receipts = rowsOf(page.html, 'receipts');
    // Paid: every payment that succeeded today (those still disputed too: an open dispute does not touch the ministry's revenue); a refund; a lost dispute.
    const mohIls = receipts.find((r) => r[0]!.includes('moh') && r[1] === 'ILS')!;
    expect(mohIls[0]).toBe('Ministry of Health — Clinics moh');
    // 150.00 + 100.00 + 3 × 30.00 paid; 50.00 refunded; 100.00 lost in a dispute: 190.00 more owed to the ministry.
    expect(mohIls.slice(2)).toEqual(['340.00', '50.00', '100.00', '190.00']);
    expect(receipts.find((r) => r[0]!.includes('moh') && r[1] === 'JOD')!.slice(2)).toEqual(['25.000', '0.000', '0.000', '25.000']);
    expect(receipts.find((r) => r[0] === 'mol mol' && r[1] === 'ILS')!.slice(2)).toEqual(['110.00', '0.00', '0.00', '110.00']);
    expect(rowsOf(page.html, 'receipts', 'tfoot')).toEqual([
      ['Total ILS', 'ILS', '450.00', '50.00', '100.00', '300.00'],
      ['Total JOD', 'JOD', '25.000', '0.000', '0.000', '25.000'],
    ]);
    // The net is exactly the day's movement of each ministry's revenue account in the ledger.
    const revenue = await knex()('postings as ps')
      .join('journal_entries as e', 'e.id', 'ps.entry_id')
      .join('ledger_accounts as a', 'a.id', 'ps.account_id')
      .where({ 'e.effective_date': ledgerDay(now), 'a.code': 'ministry_revenue:moh', 'ps.currency': 'ILS' })
      .sum('ps.amount as sum')
      .first();
    expect(Number(mohIls[5]) * 100).toBe(-Number(revenue!.sum));
    expect(textOf(page.html, 'receipts-explain')).toContain('ministry_revenue:&lt;organisation&gt;');

    const kinds = rowsOf(page.html, 'open-exceptions');
    const payouts = kinds.find((k) => k[0] === 'Payout not seen at the bank')!;
    expect(payouts.slice(1, 3)).toEqual(['2', '0']);
    expect(payouts[3]).toMatch(/^3 days ago /);
    expect(page.html).toContain(`href="/finance/exceptions?kind=unmatched_payout&amp;lang=en"`);

    const disputes = rowsOf(page.html, 'disputes-due');
    expect(disputes.map((d) => d[1])).toEqual(['Ministry of Health — Clinics', 'mol']);
    expect(disputes[0]![0]).toMatch(/overdue — 1 day ago|overdue — 24 hours ago/);
    expect(disputes[1]!.slice(2)).toEqual([ils(7_000), 'product_not_received', 'Needs evidence']);
    expect(page.html).toContain(`href="/finance/disputes/${late}?lang=en"`);

    const dispute = await open(as(amal), `/finance/disputes/${soon}?lang=en`);
    expect(dispute.status).toBe(200);
    expect(dispute.html).toContain('<code dir="ltr">PERMIT-77</code>');
    expect(rowsOf(dispute.html, 'dispute-history')[0]!.slice(1)).toEqual(['—', 'Needs evidence']);
  });
});

describe('the exception queue', () => {
  it('lists the items, filtered by kind and status, each linking to its page', async () => {
    const credit = await raise({ kind: 'unmatched_bank_credit', amount: 250_000, expectedAmount: null, bankEntryId: 'stmt-1/7', organisationId: null });
    const resolved = await raise({ kind: 'unmatched_bank_credit', amount: 1_000, expectedAmount: null, bankEntryId: 'stmt-1/8', organisationId: null });
    await knex()('reconciliation_exceptions').where({ id: resolved }).update({ status: 'resolved' });
    const page = await open(as(amal), '/finance/exceptions?kind=unmatched_bank_credit&lang=en');
    expect(page.status).toBe(200);
    expect(page.html).toContain(`<a href="/finance/exceptions/${credit}?lang=en">Bank credit with no payout</a>`);
    expect(page.html).not.toContain(resolved);
    expect(page.html).toContain('<option value="unmatched_bank_credit" selected>Bank credit with no payout</option>');
    const all = await open(as(amal), '/finance/exceptions?kind=unmatched_bank_credit&status=resolved&lang=en');
    expect(rowsOf(all.html, 'queue').map((r) => r[1])).toEqual(['Resolved']);
    expect((await open(as(amal), '/finance/exceptions?kind=duplicate_line&lang=en')).html).toContain('No items match this filter.');
  });

  it('works an item from its page — assign, comment, a manual match — each recorded with the officer\'s sub', async () => {
    const id = await raise();
    const agent = as(amal);
    let page = await open(agent, `/finance/exceptions/${id}?lang=en`);
    expect(textOf(page.html, 'kind')).toBe('Amount differs from ours');
    expect(textOf(page.html, 'status')).toBe('Open');
    page = await agent.submit(page, { assignee: bilal.sub, reason: 'Health is his ministry' }, 'assign-form');
    expect(page.url).toBe(`${world.publicUrl}/finance/exceptions/${id}?done=assigned&lang=en`);
    expect(textOf(page.html, 'done')).toBe('The item is assigned.');
    expect(textOf(page.html, 'assigned-to')).toBe('Bilal Nassar');
    page = await agent.submit(page, { text: 'Asked the PSP for the charge.' }, 'comment-form');
    expect(textOf(page.html, 'done')).toBe('The comment is added.');
    page = await as(bilal).submit(await open(as(bilal), `/finance/exceptions/${id}?lang=en`), { record: 'balance_transaction_id', record_id: 'txn_finance_2', reason: 'Settled with the next day\'s batch.' }, 'match-form');
    expect(textOf(page.html, 'done')).toBe('The item is resolved by the match.');
    expect(textOf(page.html, 'status')).toBe('Resolved');
    expect(page.html).toContain('id="resolved-note"');
    expect(page.html).not.toContain('id="assign-form"');
    expect(await history(id)).toEqual([
      { action: 'raised', actor: 'system', reason: null },
      { action: 'assigned', actor: amal.sub, reason: 'Health is his ministry' },
      { action: 'commented', actor: amal.sub, reason: 'Asked the PSP for the charge.' },
      { action: 'resolved', actor: bilal.sub, reason: 'Settled with the next day\'s batch.' },
    ]);
    const rows = rowsOf(page.html, 'history');
    expect(rows.map((r) => r.slice(1, 3))).toEqual([
      ['System', 'Raised'],
      ['Amal Haddad', 'Assigned → Bilal Nassar'],
      ['Amal Haddad', 'Commented'],
      ['Bilal Nassar (you)', 'Resolved (manual_match)'],
    ]);
  });

  it('writes an item off only with a second officer\'s approval (four eyes), which posts the correcting entry', async () => {
    const id = await raise();
    const entries = () => knex()('journal_entries').where({ source_type: 'exception_write_off', source_id: id });
    let page = await open(as(amal), `/finance/exceptions/${id}?lang=en`);
    // What the approval will post, shown before anyone asks.
    const one = formatMoney({ amount: 100, currency: 'ILS' }, 'en');
    expect(rowsOf(page.html, 'entry')).toEqual([
      ['psp_receivable', '', one],
      ['reconciliation_differences', one, ''],
    ]);
    page = await as(amal).submit(page, { reason: 'The PSP will not pay the 1.00 difference.' }, 'write-off-form');
    expect(textOf(page.html, 'done')).toBe('The write-off is asked for; it awaits a second finance officer’s approval.');
    expect(page.html).toContain('id="own-request"');
    expect(page.html).not.toContain('id="approve-form"');
    // Posted by hand anyway: refused in words, nothing posted.
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.html)![1]!;
    const refused = await as(amal).follow(await as(amal).go(`/finance/exceptions/${id}/approve?lang=en`, { csrf, reason: '' }));
    expect(refused.status).toBe(403);
    expect(textOf(refused.html, 'error')).toBe('A write-off is approved by a second finance officer, not by the one who asked for it (four eyes).');
    expect(await statusOf(id)).toBe('awaiting_approval');
    expect(await entries()).toHaveLength(0);
    // Nor can it be matched while it waits.
    const waiting = await as(amal).follow(await as(amal).go(`/finance/exceptions/${id}/resolve?lang=en`, { csrf, resolution: 'manual_match', record: 'payout_id', record_id: 'po_1', reason: 'x' }));
    expect(waiting.status).toBe(409);
    expect(textOf(waiting.html, 'error')).toContain('awaits a second finance officer’s approval');

    const second = await open(as(bilal), `/finance/exceptions/${id}?lang=en`);
    expect(second.html).toContain('id="approve-form"');
    const approved = await as(bilal).submit(second, { reason: 'Checked the PSP report.' }, 'approve-form');
    expect(textOf(approved.html, 'done')).toBe('The write-off is approved, its entry posted, and the item resolved.');
    expect(await statusOf(id)).toBe('resolved');
    expect(await entries()).toHaveLength(1);
    expect((await history(id)).map((h) => [h.action, h.actor])).toEqual([
      ['raised', 'system'],
      ['write_off_requested', amal.sub],
      ['approved', bilal.sub],
      ['resolved', bilal.sub],
    ]);
  });

  it('records nothing from a form without the session\'s CSRF token — a forged one, or another officer\'s', async () => {
    const id = await raise();
    const forged = await as(amal).go(`/finance/exceptions/${id}/comments?lang=en`, { csrf: 'forged', text: 'From elsewhere' });
    expect(forged.status).toBe(403);
    expect(textOf(await forged.text(), 'error')).toBe('This page has expired. Reload it and try again. Nothing was recorded.');
    const bilalsToken = /name="csrf" value="([^"]+)"/.exec((await open(as(bilal), `/finance/exceptions/${id}`)).html)![1]!;
    expect((await as(amal).go(`/finance/exceptions/${id}/comments`, { csrf: bilalsToken, text: 'With his token' })).status).toBe(403);
    expect((await as(amal).go(`/finance/exceptions/${id}/comments`, { text: 'With no token' })).status).toBe(403);
    // Through supertest, with the session's cookie and its token: taken.
    const token = /name="csrf" value="([^"]+)"/.exec((await open(as(amal), `/finance/exceptions/${id}`)).html)![1]!;
    const taken = await request(app()).post(`/finance/exceptions/${id}/comments`).set('Cookie', as(amal).cookies()).type('form').send({ csrf: token, text: 'With the token' });
    expect(taken.status).toBe(303);
    expect((await history(id)).map((h) => [h.action, h.actor, h.reason])).toEqual([
      ['raised', 'system', null],
      ['commented', amal.sub, 'With the token'],
    ]);
  });

  it('says in words what is wrong with a form, and records nothing', async () => {
    const id = await raise();
    const agent = as(amal);
    let page = await open(agent, `/finance/exceptions/${id}`);
    const empty = await agent.submit(page, { text: '   ' }, 'comment-form');
    expect(empty.status).toBe(400);
    expect(textOf(empty.html, 'error')).toBe('اكتب التعليق.');
    expect(empty.html).toContain('<textarea id="comment-text" name="text" rows="3" maxlength="2000" required aria-invalid="true" aria-describedby="error">');
    page = await open(agent, `/finance/exceptions/${id}?lang=en`);
    const notUuid = await agent.submit(page, { record: 'payment_id', record_id: 'PASSPORT-1', reason: 'Same amount' }, 'match-form');
    expect(notUuid.status).toBe(400);
    expect(textOf(notUuid.html, 'error')).toContain('is a UUID');
    expect(notUuid.html).toContain('value="PASSPORT-1"');
    const noReason = await agent.submit(page, { reason: '' }, 'write-off-form');
    expect(textOf(noReason.html, 'error')).toBe('Say why.');
    const nobody = await agent.submit(page, { assignee: 'someone-who-never-logged-in' }, 'assign-form');
    expect(textOf(nobody.html, 'error')).toBe('Choose a finance officer from the list.');
    expect(await history(id)).toHaveLength(1);

    // An item whose figures are unknown cannot be written off: the page says so instead of the form.
    const unknown = await raise({ kind: 'unknown_charge', amount: null, expectedAmount: null, currency: null });
    const noFigures = await open(agent, `/finance/exceptions/${unknown}?lang=en`);
    expect(noFigures.html).toContain('id="no-amount"');
    expect(noFigures.html).not.toContain('id="write-off-form"');
    const asked = await agent.go(`/finance/exceptions/${unknown}/resolve?lang=en`, { csrf: /name="csrf" value="([^"]+)"/.exec(noFigures.html)![1]!, resolution: 'write_off', reason: 'Unknown' });
    expect(asked.status).toBe(422);
    expect(await asked.text()).toContain('does not say the amount and currency a write-off would post');

    expect((await open(agent, `/finance/exceptions/${randomUUID()}?lang=en`)).status).toBe(404);
    expect((await open(agent, '/finance/no-such-page')).status).toBe(404);
  });
});

describe('the pages', () => {
  it('are Arabic and right to left by default, English with ?lang=en, with labelled fields, captioned tables and no script', async () => {
    const id = await raise();
    const pages: Page[] = [];
    for (const path of ['/finance', '/finance/exceptions', `/finance/exceptions/${id}`]) {
      const arabic = await open(as(amal), path);
      expect(arabic.html).toContain('<html lang="ar" dir="rtl">');
      expect(arabic.html).toContain(`<a class="language" href="${path}?lang=en" lang="en">English</a>`);
      const english = await open(as(amal), `${path}?lang=en`);
      expect(english.html).toContain('<html lang="en" dir="ltr">');
      pages.push(arabic, english);
    }
    for (const page of pages) {
      expect(page.html).not.toContain('<script');
      expect(page.html.match(/<h1>/g)).toHaveLength(1);
      expect(page.html).toContain('<nav class="console"');
      for (const [, id] of page.html.matchAll(/<(?:input|select|textarea) id="([^"]+)"/g)) expect(page.html).toContain(`<label for="${id}">`);
      const tables = page.html.match(/<table /g)?.length ?? 0;
      expect(page.html.match(/<caption /g)?.length ?? 0).toBe(tables);
      expect(page.html).not.toMatch(/<th>/);
    }
    expect(textOf((await open(as(amal), '/finance')).html, 'receipts-heading')).toBe('مقبوضات اليوم حسب الجهة والعملة');
  });

  it('offer the day’s reports for download', async () => {
    const reports = await open(as(amal), '/finance/reports?date=2026-11-27');
    expect(reports.status).toBe(200);
    expect(reports.html).toContain('<h1>التقارير</h1>');
    expect(reports.html).toContain('المقبوضات اليومية لكل جهة وعملة');
    const csv = await as(amal).go('/finance/reports/daily-receipts?date=2026-11-27&format=csv');
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-disposition')).toContain('daily-receipts-2026-11-27.csv');
    expect((await csv.text()).split('\r\n')[0]).toBe('date,organisation_id,currency,gross,fees,refunds,disputes,net,disputes_lost,paid_out,received_at_bank');
    expect((await as(amal).go('/finance/reports/no-such-report?date=2026-11-27&format=csv')).status).toBe(404);
  });
});

describe('uploading a bank statement', () => {
  const ILS = TREASURY[0]!.account;
  const count = async (table: string) => Number((await knex()(table).count<Array<{ n: string }>>('* as n'))[0]!.n);
  const stored = async () => ({ statements: await count('bank_statements'), entries: await count('bank_statement_entries'), exceptions: await count('reconciliation_exceptions') });
  let n = 0;
  const statement = (entries: GeneratedStatement['entries'], over: Partial<GeneratedStatement> = {}): GeneratedStatement => {
    n++;
    return { account: ILS, currency: 'ILS', id: `CONSOLE-${n}-${randomUUID().slice(0, 8)}`, sequence: String(n), openingDate: '2026-11-25', closingDate: '2026-11-25', opening: 500_000, entries, ...over };
  };
  const uploadPage = () => open(as(amal), '/finance/statements?lang=en');

  it('takes a camt.053 file, matches its credit to the PSP’s payout, raises the unknown credit, and lists the statement as the officer’s', async () => {
    const payout = `po_console_${randomUUID().slice(0, 8)}`;
    await knex()('payouts').insert({ id: payout, amount: 48_250, currency: 'ILS', status: 'paid', arrival_date: '2026-11-25', created: new Date('2026-11-25T04:00:00Z'), automatic: true, trace_id: 'TRACE-CONSOLE-1', statement_descriptor: 'PSP TRACE-CONSOLE-1' });
    const file = camt053([
      statement([
        { amount: 48_250, direction: 'credit', valueDate: '2026-11-25', text: 'STRIPE PAYOUT TRACE-CONSOLE-1' },
        { amount: 9_999, direction: 'credit', valueDate: '2026-11-25', text: 'Transfer from someone' },
        { amount: 300, direction: 'debit', valueDate: '2026-11-25', text: 'Bank charges' },
      ]),
    ]);
    const form = await uploadPage();
    expect(form.status).toBe(200);
    expect(form.html).toContain('<h1>Upload a bank statement</h1>');
    // The CSRF field comes before the file, so it is read first.
    expect(form.html.indexOf('name="csrf"')).toBeLessThan(form.html.indexOf('type="file"'));
    expect(textOf(form.html, 'statement-file-hint')).toBe('camt.053 or MT940, of at most 195.3 kB');

    const before = await stored();
    const done = await as(amal).upload(form, { name: 'treasury-ils-2026-11-25.xml', content: file });
    expect(done.status).toBe(200);
    expect(textOf(done.html, 'done')).toBe('The statement was accepted and stored, and its credits matched to the PSP’s payouts.');
    expect(rowsOf(done.html, 'uploaded')).toEqual([[`${ILS} Treasury ILS`, 'ILS', '25 Nov 2026', '3', 'ILS\u00a05,579.49', 'Imported']]);
    const matching = /<dl class="summary" id="matching">([\s\S]*?)<\/dl>/.exec(done.html)![1]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
    expect(matching).toBe('PSP payouts matched 1 Credits with no payout (now items in the queue) 1 Payouts not seen at the bank (now items in the queue) 0');
    expect(done.html).toContain('id="see-queue"');
    expect(await stored()).toEqual({ statements: before.statements + 1, entries: before.entries + 3, exceptions: before.exceptions + 1 });
    const saved = await knex()('bank_statements').orderBy('imported_at', 'desc').first();
    expect(saved).toMatchObject({ account: ILS, currency: 'ILS', imported_by: amal.sub, format: 'camt.053' });
    // The unknown credit waits in the queue; the list of statements names who uploaded it.
    const queue = await open(as(amal), '/finance/exceptions?kind=unmatched_bank_credit&lang=en');
    expect(queue.html).toContain('99.99');
    const list = await open(as(bilal), '/finance/statements?lang=en');
    expect(rowsOf(list.html, 'statements')[0]).toEqual([`${ILS} Treasury ILS`, 'ILS', '25 Nov 2026', '3', 'ILS\u00a0582.49', 'ILS\u00a05,579.49', 'Amal Haddad', expect.any(String)]);

    // Its page: what it says of itself, and each entry with what it matched.
    const shown = await open(as(bilal), `/finance/statements/${saved.id}?lang=en`);
    expect(shown.status).toBe(200);
    expect(shown.html).toContain('<h1>Bank statement</h1>');
    expect(list.html).toContain(`href="/finance/statements/${saved.id}?lang=en"`);
    expect(shown.html).toContain('<bdi>Amal Haddad</bdi>');
    expect(rowsOf(shown.html, 'entries').map((r) => [r[0], r[2], r[3], r[5]])).toEqual([
      ['13', 'Credit', 'ILS\u00a0482.50', `Matched to payout ${payout}`],
      ['21', 'Credit', 'ILS\u00a099.99', 'Not matched'],
      ['29', 'Debit', 'ILS\u00a03.00', '—'],
    ]);
    expect((await open(as(bilal), `/finance/statements/${randomUUID()}`)).status).toBe(404);

    // The same file again adds nothing, and says so.
    const again = await as(amal).upload(await uploadPage(), { name: 'again.xml', content: file });
    expect(again.status).toBe(200);
    expect(textOf(again.html, 'done')).toBe('This statement was imported before with the same content, so nothing was added.');
    expect(rowsOf(again.html, 'uploaded')[0]!.at(-1)).toBe('Imported before; nothing added');
    expect(again.html).not.toContain('id="matching"');
    expect(await stored()).toEqual({ statements: before.statements + 1, entries: before.entries + 3, exceptions: before.exceptions + 1 });
  });

  it('takes an MT940 file too (its format read from its content, whatever its name)', async () => {
    const before = await stored();
    const done = await as(bilal).upload(await open(as(bilal), '/finance/statements'), { name: 'statement.bin', content: mt940([statement([{ amount: 1_000, direction: 'debit', valueDate: '2026-11-25', text: 'Fees' }])], { envelope: true }) });
    expect(done.status).toBe(200);
    expect(done.html).toContain('<html lang="ar" dir="rtl">');
    expect(textOf(done.html, 'done')).toBe('قُبل الكشف وحُفظ، وطُوبقت إيداعاته مع دفعات مزوّد الدفع.');
    expect(await knex()('bank_statements').orderBy('imported_at', 'desc').first()).toMatchObject({ format: 'mt940', imported_by: bilal.sub });
    expect((await stored()).statements).toBe(before.statements + 1);
  });

  it('refuses a statement whose balances do not add up, or of an account that is not the treasury’s, saying where and why, and keeps nothing', async () => {
    const before = await stored();
    const unbalanced = mt940([statement([{ amount: 2_500, direction: 'credit', valueDate: '2026-11-25' }], { closing: 999_999 })]);
    const refused = await as(amal).upload(await uploadPage(), { name: 'wrong.sta', content: unbalanced });
    expect(refused.status).toBe(422);
    expect(refused.html).toContain('The file was refused and nothing of it was kept:');
    expect(textOf(refused.html, 'error-where')).toMatch(/^Statement number 1 — Line \d+ :62F:$/);
    expect(textOf(refused.html, 'error-reason')).toContain('closing balance');
    // The form is there to try another file, marked as the one that went wrong.
    expect(refused.html).toMatch(/<input id="statement-file"[^>]* aria-invalid="true"/);
    const stranger = camt053([statement([], { account: 'PS00OTHR000000000000000000001' })]);
    const notOurs = await as(amal).upload(await open(as(amal), '/finance/statements'), { name: 'other.xml', content: stranger });
    expect(notOurs.status).toBe(422);
    expect(notOurs.html).toContain('رُفض الملف ولم يُحفظ منه شيء:');
    expect(textOf(notOurs.html, 'error-reason')).toContain('PS00OTHR000000000000000000001 is not one of the treasury');
    const broken = await as(amal).upload(await uploadPage(), { name: 'broken.xml', content: '<?xml version="1.0"?>\n<Document><BkToCstmrStmt><Stmt>' });
    expect(broken.status).toBe(422);
    expect(await stored()).toEqual(before);
  });

  it('says what is wrong with an empty file, a file too large, a page that expired, and a post that is not the form', async () => {
    const before = await stored();
    const empty = await as(amal).upload(await uploadPage(), { name: 'empty.xml', content: '' });
    expect(empty.status).toBe(400);
    expect(textOf(empty.html, 'error')).toBe('Choose the statement file first (the file chosen is empty, or none was chosen).');
    const large = camt053([statement(Array.from({ length: 1_000 }, () => ({ amount: 100, direction: 'credit' as const, valueDate: '2026-11-25', text: 'x'.repeat(100) })))]);
    expect(large.length).toBeGreaterThan(200_000);
    const tooLarge = await as(amal).upload(await uploadPage(), { name: 'large.xml', content: large });
    expect(tooLarge.status).toBe(413);
    expect(textOf(tooLarge.html, 'error')).toBe('The file is larger than is taken, so nothing of it was kept. The limit: 195.3 kB');
    const page = await uploadPage();
    const expired = await as(amal).upload({ ...page, html: page.html.replace(/name="csrf" value="[^"]+"/g, 'name="csrf" value="not-the-token"') }, { name: 's.xml', content: camt053([statement([])]) });
    expect(expired.status).toBe(403);
    expect(textOf(expired.html, 'error')).toBe('This page has expired. Reload it and try again. Nothing was recorded.');
    const notForm = await as(amal).follow(await as(amal).go('/finance/statements?lang=en', { csrf: 'x', statement: 'y' }));
    expect(notForm.status).toBe(400);
    expect(textOf(notForm.html, 'error')).toBe('The file did not arrive as the upload form sends it. Upload it from this page.');
    // Without a session, nothing is read.
    const anonymous = await request(app()).post('/finance/statements').attach('statement', Buffer.from(camt053([statement([])])), 'anon.xml');
    expect(anonymous.status).toBe(403);
    expect(await stored()).toEqual(before);
  });
});
