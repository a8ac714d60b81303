import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeRedis, createRedis } from '@tamkeen/db';
import { waitFor } from '@tamkeen/testing';
import type { Knex } from '@tamkeen/db';
import type { Express } from 'express';
import { generate } from 'otplib';
import { startIdentity, type RunningIdentity } from '../citizen-login/test-citizen-issuer.js';
import { postDisputeMovements } from '../disputes/dispute-postings.js';
import type { Currency } from '../domain/money.js';
import { postPaymentSucceeded, postRefundSucceeded } from '../ledger/payment-postings.js';
import { paymentRepository, type Payment } from '../payments/payment-repository.js';
import { newTestPayment } from '../payments/test-payment.js';
import type { PspDisputeStatus } from '../psp/payment-provider.js';
import { testPayments, type TestPayments } from '../test-payments.js';

/** A staff member of identity's enterprise issuer, and their authenticator app (its key, once linked at the first login). */
export interface Staff {
  sub: string;
  name: string;
  email: string;
  password: string;
  /** The app's key, read off the set-up page at the first login. */
  key?: string;
  /** The last 30-second step whose code was used: identity accepts each code once. */
  lastStep?: number;
}

/** A page the browser ended at. */
export interface Page {
  url: string;
  status: number;
  html: string;
  headers: Headers;
}

/**
 * A browser without script across the two origins (the payments app's and identity's): keeps its
 * cookies (set, replaced, cleared), follows redirects against the address each came from, and
 * submits forms with the CSRF field they carry.
 */
export interface FinanceBrowser {
  go(url: string, form?: Record<string, string> | FormData): Promise<Response>;
  follow(response: Response): Promise<Page>;
  /** Posts the form whose id is `formId` (the first form when none is given) with its CSRF field and `fields`, then follows. */
  submit(page: Page, fields: Record<string, string>, formId?: string): Promise<Page>;
  /** Posts the upload form (multipart, its CSRF field first, as a browser sends it) with `file` as its file field, then follows. */
  upload(page: Page, file: { name: string; content: string | Uint8Array; type?: string }, formId?: string): Promise<Page>;
  cookie(name: string): string | undefined;
  /** Every Set-Cookie line this browser was sent for the cookie `name`, oldest first. */
  cookieLines(name: string): string[];
  /** This browser's Cookie header (for supertest). */
  cookies(): string;
  /** Logs `staff` in through the console from `start`: e-mail address and password, then the authenticator app (linked at the first login). */
  logIn(staff: Staff, start?: string): Promise<Page>;
}

export interface FinanceWorld {
  identity: RunningIdentity;
  service: TestPayments;
  /** The payments app's public origin (`http://127.0.0.1:<port>`): the console is at <publicUrl>/finance. */
  publicUrl: string;
  /** FINANCE_REDIS_PREFIX of this world: every key under it is deleted at close. */
  redisPrefix: string;
  /** Adds a staff member as identity's operator does (`user add`), in `organisation` (`tamkeen` by default). */
  staff(input: { name: string; roles: string; organisation?: string }): Promise<Staff>;
  browser(): FinanceBrowser;
  close(): Promise<void>;
}

/** The treasury's accounts of the finance world: statements of these are taken. */
export const TREASURY = [
  { account: 'PS92PALS000000000400123456701', currency: 'ILS', name: 'Treasury ILS' },
  { account: 'PS44PALS000000000400123456702', currency: 'USD', name: 'Treasury USD' },
  { account: '400-123456-703', currency: 'JOD', name: 'Treasury JOD' },
];

export const FINANCE_CLIENT_ID = 'tamkeen-finance';
const FINANCE_CLIENT_SECRET = 'finance-console-client-secret-for-tests-0123456789';
export const STAFF_PASSWORD = 'olive-press-2026-ledger';

const unescape = (value: string) => value.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** The code of the authenticator app for a step identity has not seen from it yet (waiting for the next step when both it allows are used). */
export async function appCode(staff: Staff): Promise<string> {
  const current = () => Math.floor(Date.now() / 30_000);
  // Identity takes the current step and the next (a phone's clock 30 s ahead).
  if (staff.lastStep !== undefined && staff.lastStep + 1 > current() + 1) {
    const after = staff.lastStep;
    await waitFor(() => current() >= after, { what: 'the authenticator app\'s next code', timeoutMs: 40_000 });
  }
  const step = Math.max(current(), (staff.lastStep ?? -1) + 1);
  staff.lastStep = step;
  return generate({ secret: staff.key!, epoch: step * 30 });
}

/**
 * The finance console against the real enterprise issuer: identity and the register from their
 * builds (startIdentity), with the console's relying party declared as npm start declares it
 * (PLATFORM_CLIENTS: `tamkeen-finance`, enterprise issuer, `<publicUrl>/finance/login/callback`),
 * and the payments app listening at its public origin with ENTERPRISE_ISSUER and the rest set.
 */
export async function startFinanceWorld(label: string): Promise<FinanceWorld> {
  const served: { app?: Express } = {};
  const server: Server = createServer((req, res) => served.app!(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const publicUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const redisPrefix = `test-finance-${process.pid}-${randomUUID().slice(0, 8)}`;
  let identity: RunningIdentity | undefined;
  let service: TestPayments | undefined;
  const close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await service?.close();
    await identity?.stop();
    const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', 'finance-test');
    const keys = await redis.keys(`${redisPrefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await closeRedis(redis);
  };
  try {
    identity = await startIdentity({
      env: {
        PLATFORM_CLIENTS: JSON.stringify([
          { kind: 'relying_party', client_id: FINANCE_CLIENT_ID, client_secret: FINANCE_CLIENT_SECRET, name: 'Tamkeen finance console', issuer: 'enterprise', redirect_uris: [`${publicUrl}/finance/login/callback`] },
        ]),
      },
    });
    service = await testPayments(label, {
      env: {
        PUBLIC_URL: publicUrl,
        ENTERPRISE_ISSUER: `${identity.publicUrl}/auth/enterprise`,
        ENTERPRISE_ISSUER_INTERNAL_URL: identity.internalUrl,
        FINANCE_LOGIN_CLIENT_ID: FINANCE_CLIENT_ID,
        FINANCE_LOGIN_CLIENT_SECRET: FINANCE_CLIENT_SECRET,
        FINANCE_REDIS_PREFIX: redisPrefix,
        TREASURY_ACCOUNTS: JSON.stringify(TREASURY),
        STATEMENT_MAX_BYTES: '200000',
      },
    });
    served.app = service.app;
  } catch (error) {
    await close();
    throw error;
  }
  const world = { identity, service };
  const organisations = new Set(['tamkeen']);

  function browser(): FinanceBrowser {
    const jar = new Map<string, string>();
    const lines: string[] = [];
    const go = async (url: string, form?: Record<string, string> | FormData) => {
      const multipart = form instanceof FormData;
      const response = await fetch(new URL(url, publicUrl), {
        method: form ? 'POST' : 'GET',
        redirect: 'manual',
        headers: { cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; '), ...(form && !multipart ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
        body: form ? (multipart ? form : new URLSearchParams(form).toString()) : undefined,
      });
      for (const line of response.headers.getSetCookie()) {
        lines.push(line);
        const [pair = '', ...attributes] = line.split(';');
        const [name = '', ...value] = pair.split('=');
        const gone = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && new Date(a.split('=')[1]!).getTime() < Date.now()));
        if (gone) jar.delete(name.trim());
        else jar.set(name.trim(), value.join('='));
      }
      return response;
    };
    const follow = async (response: Response): Promise<Page> => {
      for (let hops = 0; response.status >= 300 && response.status < 400; hops++) {
        if (hops === 20) throw new Error(`more than 20 redirects, the last to ${response.headers.get('location')}`);
        response = await go(new URL(response.headers.get('location') ?? '', response.url).toString());
      }
      return { url: response.url, status: response.status, html: await response.text(), headers: response.headers };
    };
    const submit = async (page: Page, fields: Record<string, string>, formId?: string) => {
      const forms = [...page.html.matchAll(/<form method="post" action="([^"]+)"(?: [^>]*)?>([\s\S]*?)<\/form>/g)];
      const form = formId ? forms.find((f) => f[0].includes(`id="${formId}"`)) : forms[0];
      if (!form) throw new Error(`no form ${formId ?? ''} at ${page.url} (${page.status}): ${page.html.slice(0, 800)}`);
      const csrf = /name="csrf" value="([^"]+)"/.exec(form[2]!)?.[1];
      const hidden = Object.fromEntries([...form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, unescape(m[2]!)]));
      return follow(await go(new URL(unescape(form[1]!), page.url).toString(), { ...hidden, ...(csrf ? { csrf: unescape(csrf) } : {}), ...fields }));
    };
    const upload = async (page: Page, file: { name: string; content: string | Uint8Array; type?: string }, formId = 'upload-form') => {
      const form = [...page.html.matchAll(/<form method="post" action="([^"]+)" enctype="multipart\/form-data"(?: [^>]*)?>([\s\S]*?)<\/form>/g)].find((f) => f[0].includes(`id="${formId}"`));
      if (!form) throw new Error(`no upload form ${formId} at ${page.url} (${page.status}): ${page.html.slice(0, 800)}`);
      const body = new FormData();
      for (const [, name, value] of form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) body.append(name!, unescape(value!));
      const field = /<input id="[^"]+" name="([^"]+)" type="file"/.exec(form[2]!)?.[1];
      body.append(field!, new Blob([file.content], { type: file.type ?? 'application/octet-stream' }), file.name);
      return follow(await go(new URL(unescape(form[1]!), page.url).toString(), body));
    };
    return {
      go,
      follow,
      submit,
      upload,
      cookie: (name) => jar.get(name),
      cookieLines: (name) => lines.filter((line) => line.startsWith(`${name}=`)),
      cookies: () => [...jar].map(([name, value]) => `${name}=${value}`).join('; '),
      async logIn(staff, start = '/finance') {
        const login = await follow(await go(start));
        if (!login.html.includes('name="email"')) throw new Error(`expected the staff login page, got ${login.status} at ${login.url}: ${login.html.slice(0, 500)}`);
        let page = await submit(login, { email: staff.email, password: STAFF_PASSWORD });
        const key = /id="authenticator_key">([A-Z2-7 ]+)</.exec(page.html)?.[1];
        if (key) staff.key = key.replace(/ /g, '');
        if (!page.html.includes('name="code"')) return page;
        page = await submit(page, { code: await appCode(staff) });
        return page;
      },
    };
  }

  return {
    identity,
    service,
    publicUrl,
    redisPrefix,
    async staff({ name, roles, organisation = 'tamkeen' }) {
      if (!organisations.has(organisation)) {
        await world.identity.admin('organisation', 'add', '--id', organisation, '--name-ar', 'وزارة المالية', '--name-en', 'Ministry of Finance');
        organisations.add(organisation);
      }
      const email = `${name.toLowerCase().replace(/[^a-z]+/g, '.')}@${organisation}.gov.ps`;
      const added = await world.identity.admin('user', 'add', '--organisation', organisation, '--email', email, '--name', name, '--roles', roles, '--password', STAFF_PASSWORD);
      return { sub: String(added.sub), name, email, password: STAFF_PASSWORD };
    },
    browser,
    close,
  };
}

/** A payment of `organisationId` that succeeded at `at`, posted to the ledger as the payment page posts it. */
export async function paidPayment(knex: Knex, { organisationId, amount, currency, at, reference = 'FEE-2026-0001' }: { organisationId: string; amount: number; currency: Currency; at: Date; reference?: string }): Promise<Payment> {
  const { payment } = await paymentRepository(knex).create(newTestPayment({ organisationId, amount, currency, reference, phoneNumber: null }));
  await knex('payments').where({ id: payment.id }).update({ status: 'succeeded', psp_payment_intent_id: `pi_${payment.id}` });
  const paid = { ...payment, status: 'succeeded' as const, updatedAt: at };
  await knex.transaction((trx) => postPaymentSucceeded(trx, paid));
  return paid;
}

/** A succeeded refund of `amount` of the payment, posted at `at`. */
export async function refundOf(knex: Knex, payment: Payment, amount: number, at: Date): Promise<void> {
  await knex.transaction(async (trx) => {
    const [refund] = await trx('refunds').insert({ id: randomUUID(), payment_id: payment.id, organisation_id: payment.organisationId, amount, currency: payment.currency, status: 'succeeded', idempotency_key: randomUUID(), request_hash: 'h' }).returning('id');
    await postRefundSucceeded(trx, { id: refund.id, paymentId: payment.id, organisationId: payment.organisationId, amount, currency: payment.currency, updatedAt: at });
  });
}

/** A chargeback of the whole payment, in `status`, its evidence due by `evidenceDueBy`; its movements posted at `at`. */
export async function disputeOf(knex: Knex, payment: Payment, { status, evidenceDueBy, at, reason = 'fraudulent' }: { status: PspDisputeStatus; evidenceDueBy: Date | null; at: Date; reason?: string }): Promise<string> {
  return knex.transaction(async (trx) => {
    const [row] = await trx('disputes').insert({ id: randomUUID(), payment_id: payment.id, organisation_id: payment.organisationId, psp_dispute_id: `dp_${randomUUID()}`, amount: payment.amount, currency: payment.currency, reason, status, evidence_due_by: evidenceDueBy }).returning('*');
    await trx('dispute_events').insert({ dispute_id: row.id, source: 'webhook', from_status: null, to_status: status });
    await postDisputeMovements(trx, { id: row.id, paymentId: payment.id, organisationId: payment.organisationId, pspDisputeId: row.psp_dispute_id, amount: payment.amount, currency: payment.currency, reason, status, evidenceDueBy, createdAt: at, updatedAt: at }, 1_500, at);
    return row.id as string;
  });
}
