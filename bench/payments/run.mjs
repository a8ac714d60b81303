#!/usr/bin/env node
// Payments benchmark, against the real built services behind the real gateway: payments, the
// sandbox playing Stripe (tokenising cards, PaymentIntents, its signed webhooks back to payments),
// identity (the ministry's machine token; its keys for the gateway and payments), PostgreSQL and Redis.
//   1. payments created and paid per second, end to end through the gateway (and, beside it, payments
//      created alone per second, the ministry's side, with autocannon): each is a ministry's
//      POST /payments/v1/payments (a machine token, an Idempotency-Key), then a citizen's browser
//      without JavaScript: the payment page (GET /pay/<id>), the card tokenised at the PSP with the
//      publishable key (as the page's script does), the form posted, the result page read. Behind
//      it: the PaymentIntent created and confirmed at the PSP, the ledger entries, the outbox notices
//      posted to the ministry's webhook (a receiver in the bench), the PSP's webhooks taken.
//      Checked at the end: every payment succeeded, one ledger entry each, the trial balance nets to zero.
//   2. journal entries per second on their own (the ledger's postJournalEntry, a payment's two
//      postings, each entry standing alone, BENCH_LEDGER_CLIENTS at a time), and, as the baseline in the same run on the same
//      PostgreSQL, pgbench's TPC-B-like transactions per second with as many clients.
// Targets (issue 5, this 2-core machine): at least 300 payments/s end to end; journal entries at
// least 50 % of pgbench's rate.
// A measurement, not a test: it prints its figures and exits 0 unless it failed.
//   npm run build && npm run bench:payments
//   (BENCH_DURATION, BENCH_ROUNDS, BENCH_CONCURRENCY, BENCH_WARMUP, BENCH_LEDGER_CLIENTS, BENCH_PARTS=flow,ledger)
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { cpuMsOf, cpuMsOfProgram } from '../lib/cpu.mjs';
import { freePort } from '../lib/ports.mjs';
import { createKnex, dropDatabase, ensureDatabase, withDatabase } from '@tamkeen/db';
import { runBuiltFile } from '@tamkeen/testing';
import { benchServices, root } from '../lib/services.mjs';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 10);
const LEDGER_CLIENTS = Number(process.env.BENCH_LEDGER_CLIENTS ?? 8);
const PARTS = (process.env.BENCH_PARTS ?? 'flow,ledger').split(',');
const TARGETS = { paymentsPerSecond: 300, ledgerShareOfPgbench: 0.5 };
const SERVER_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET_KEY = 'sk_test_bench_payments_0000000001';
const PUBLISHABLE_KEY = 'pk_test_bench_payments_0000000001';
const PSP_WEBHOOK_SECRET = 'whsec_bench_payments_00000001';
const services = benchServices(join(root, 'bench', 'payments', 'results', 'profiles'));
const { children, start } = services;
const log = (line = '') => process.stdout.write(`${line}\n`);
const dbUrl = (name) => withDatabase(SERVER_URL, name);
const DATABASES = ['tamkeen_identity_bench', 'tamkeen_registry_bench', 'tamkeen_gateway_bench', 'tamkeen_payments_bench', 'tamkeen_ledger_bench', 'tamkeen_pgbench_bench'];
/** Processes that stand in for the outside world: shown, not counted. */
const OUTSIDE = new Set(['sandbox', 'bench']);
const run = (file, args, vars) => runBuiltFile(join(root, file), args, { PATH: process.env.PATH, ...vars });
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** CPU (ms) so far of each process: the services, PostgreSQL, Redis, and the bench itself. */
function cpuParts() {
  const own = process.cpuUsage();
  return {
    ...Object.fromEntries(children.map((child) => [child.benchName, cpuMsOf(child.pid) ?? 0])),
    postgres: cpuMsOfProgram('postgres') ?? 0,
    redis: cpuMsOfProgram('redis-server') ?? 0,
    bench: (own.user + own.system) / 1000,
  };
}
const platformCpu = (parts) => Object.entries(parts).reduce((sum, [name, ms]) => (OUTSIDE.has(name) ? sum : sum + ms), 0);

/** The value of a page's hidden input. */
function hiddenInput(html, name) {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!match) throw new Error(`the page has no ${name} field: ${html.slice(0, 300)}`);
  return match[1].replaceAll('&amp;', '&');
}

/** One payment, created by the ministry and paid by a citizen with the sandbox's 4242 card; resolves when the result page says it succeeded. */
async function onePayment({ gateway, sandbox, token }, n) {
  const created = await fetch(`${gateway}/payments/v1/payments`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: JSON.stringify({ amount: 1500, currency: 'ILS', reference: `BENCH-${n}`, description: 'Passport renewal fee', return_url: 'https://ministry.bench/done' }),
  });
  if (created.status !== 201) throw new Error(`creating a payment answered ${created.status}: ${await created.text()}`);
  const payment = await created.json();
  const pageUrl = new URL(payment.next_url);
  const page = await fetch(`${gateway}${pageUrl.pathname}`);
  if (page.status !== 200) throw new Error(`the payment page answered ${page.status}`);
  const cookie = page.headers.get('set-cookie')?.split(';')[0];
  const csrf = hiddenInput(await page.text(), 'csrf');
  const method = await fetch(`${sandbox}/v1/payment_methods`, {
    method: 'POST',
    headers: { authorization: `Bearer ${PUBLISHABLE_KEY}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'type=card&card[number]=4242424242424242&card[exp_month]=12&card[exp_year]=2034&card[cvc]=123',
  });
  if (method.status !== 200) throw new Error(`tokenising the card answered ${method.status}: ${await method.text()}`);
  const { id: paymentMethod } = await method.json();
  const submitted = await fetch(`${gateway}${pageUrl.pathname}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf, payment_method: paymentMethod }).toString(),
  });
  const location = submitted.headers.get('location');
  await submitted.arrayBuffer();
  if (submitted.status !== 303 || !location?.includes('/result')) throw new Error(`paying answered ${submitted.status} to ${location}`);
  const result = await fetch(new URL(location, gateway));
  const html = await result.text();
  if (result.status !== 200 || !html.includes('class="success"')) throw new Error(`the result page (${result.status}) does not say succeeded: ${html.slice(0, 400)}`);
  return payment.id;
}

/** Payments for `seconds`, CONCURRENCY citizens at a time; the rate and the CPU it took. */
async function paymentRound(context, seconds) {
  const before = cpuParts();
  const started = performance.now();
  const until = started + seconds * 1000;
  let done = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (performance.now() < until) {
      await onePayment(context, context.next++);
      done++;
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  const after = cpuParts();
  const cores = (platformCpu(after) - platformCpu(before)) / 1000 / elapsed;
  const perPayment = Object.fromEntries(Object.entries(after).map(([name, ms]) => [name, (ms - (before[name] ?? 0)) / done]));
  return { done, rate: done / elapsed, cores, perCore: done / elapsed / Math.max(cores, 0.01), perPayment };
}

async function paymentFlow() {
  const ports = { registry: await freePort(), identity: await freePort(), gateway: await freePort(), payments: await freePort(), sandbox: await freePort(), smtp: await freePort() };
  const url = (name) => `http://127.0.0.1:${ports[name]}`;
  const gateway = url('gateway');
  await run('services/registry/dist/migrate.js', [], { DATABASE_URL: dbUrl('tamkeen_registry_bench'), REGISTRY_SEED_CITIZENS: '10' });
  for (const service of ['identity', 'gateway', 'payments']) await run(`services/${service}/dist/migrate.js`, [], { DATABASE_URL: dbUrl(`tamkeen_${service}_bench`) });
  const prefix = `bench-payments-${process.pid}`;

  // The ministry's webhook receiver: acknowledges every notice (it is the outside world).
  let notices = 0;
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      notices++;
      res.writeHead(204).end();
    });
  });
  const receiverPort = await freePort();
  await new Promise((resolve) => receiver.listen(receiverPort, '127.0.0.1', resolve));

  const sandbox = await start('sandbox', 'services/sandbox/dist/main.js', {
    HOST: '127.0.0.1', PORT: String(ports.sandbox), SMTP_PORT: String(ports.smtp), STRIPE_SECRET_KEY: SECRET_KEY, STRIPE_PUBLISHABLE_KEY: PUBLISHABLE_KEY,
    STRIPE_WEBHOOK_URL: `${url('payments')}/payments/psp/webhooks/stripe`, STRIPE_WEBHOOK_SECRET: PSP_WEBHOOK_SECRET,
  }, url('sandbox'));
  await start('registry', 'services/registry/dist/main.js', {
    HOST: '127.0.0.1', PORT: String(ports.registry), DATABASE_URL: dbUrl('tamkeen_registry_bench'), REDIS_URL, REDIS_PREFIX: prefix,
    X_ROAD_MEMBERS: JSON.stringify([{ client: 'PS/GOV/MOPAD/identity', jwks_uri: `${url('identity')}/internal/x-road/jwks`, services: ['verify', 'citizens'] }]),
  }, url('registry'));
  await start('identity', 'services/identity/dist/main.js', {
    HOST: '127.0.0.1', PORT: String(ports.identity), DATABASE_URL: dbUrl('tamkeen_identity_bench'), REDIS_URL, REDIS_PREFIX: prefix, PUBLIC_URL: gateway,
    COOKIE_KEYS: 'bench-cookie-key-0123456789abcdef0123456789', AUTHENTICATOR_KEYS: 'bench-authenticator-key-0123456789abcdef012',
    REGISTRY_URL: url('registry'), NOTIFICATIONS_URL: 'http://127.0.0.1:1',
  }, url('identity'));
  await start('payments', 'services/payments/dist/main.js', {
    HOST: '127.0.0.1', PORT: String(ports.payments), DATABASE_URL: dbUrl('tamkeen_payments_bench'), REDIS_URL, REDIS_PREFIX: prefix, PUBLIC_URL: gateway,
    ACCESS_TOKEN_JWKS_URL: `${url('identity')}/auth/enterprise/jwks`, ACCESS_TOKEN_ISSUER: `${gateway}/auth/enterprise`, ACCESS_TOKEN_AUDIENCE: `${gateway}/payments/v1`,
    PSP_API_URL: sandbox, PSP_SECRET_KEY: SECRET_KEY, PSP_PUBLISHABLE_KEY: PUBLISHABLE_KEY, PSP_WEBHOOK_SECRET,
    // Notices go out as soon as they are written, as they would to a ministry that is waiting for them.
    WEBHOOK_POLL_MS: '200',
  }, url('payments'));
  await start('gateway', 'services/gateway/dist/main.js', {
    HOST: '127.0.0.1', PORT: String(ports.gateway), DATABASE_URL: dbUrl('tamkeen_gateway_bench'), REDIS_URL, REDIS_PREFIX: prefix,
    IDENTITY_URL: url('identity'), PAYMENTS_URL: url('payments'), NOTIFICATIONS_URL: 'http://127.0.0.1:1',
  }, gateway);

  const admin = async (...args) => JSON.parse(await run('services/identity/dist/admin.js', args, { DATABASE_URL: dbUrl('tamkeen_identity_bench'), REGISTRY_URL: url('registry') }));
  await admin('organisation', 'add', '--id', 'bench', '--name-ar', 'قياس', '--name-en', 'Bench ministry');
  const machine = await admin('machine-client', 'add', '--organisation', 'bench', '--name', 'Bench e-service', '--scope', 'payments:write payments:read');
  const tokenAnswer = await fetch(`${gateway}/auth/enterprise/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${machine.client_id}:${machine.client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'payments:write payments:read', resource: `${gateway}/payments/v1` }).toString(),
  });
  if (!tokenAnswer.ok) throw new Error(`the token endpoint answered ${tokenAnswer.status}: ${await tokenAnswer.text()}`);
  const { access_token: token } = await tokenAnswer.json();
  const hook = await fetch(`${gateway}/payments/v1/webhook`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ url: `http://127.0.0.1:${receiverPort}/notices` }) });
  if (!hook.ok) throw new Error(`registering the webhook answered ${hook.status}: ${await hook.text()}`);

  const context = { gateway, sandbox, token, next: 1 };
  await onePayment(context, 0);
  if (WARMUP > 0) {
    const warm = await paymentRound(context, WARMUP);
    log(`payments  warm-up   ${warm.rate.toFixed(1)} payments/s (not counted)`);
  }
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    const round = await paymentRound(context, DURATION);
    rounds.push(round);
    log(`payments  round ${r + 1}   ${round.rate.toFixed(1)} payments/s (${round.done}), platform ${round.cores.toFixed(2)} cores → ${round.perCore.toFixed(1)} per core; CPU ms per payment: ${Object.entries(round.perPayment).map(([name, ms]) => `${name} ${ms.toFixed(1)}`).join(', ')}`);
  }

  // Beside it, the ministry's side alone: payments created (POST /payments/v1/payments, each with its own Idempotency-Key) through the gateway.
  const createRequest = {
    url: `${gateway}/payments/v1/payments`,
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ amount: 1500, currency: 'ILS', reference: 'BENCH-CREATE', description: 'Passport renewal fee', return_url: 'https://ministry.bench/done' }),
    requests: [{ setupRequest: (request) => ({ ...request, headers: { ...request.headers, 'idempotency-key': randomUUID() } }) }],
    connections: CONCURRENCY,
  };
  await autocannon({ ...createRequest, duration: 2 });
  const createRates = [];
  for (let r = 0; r < ROUNDS; r++) {
    const before = platformCpu(cpuParts());
    const started = performance.now();
    const created = await autocannon({ ...createRequest, duration: DURATION });
    const seconds = (performance.now() - started) / 1000;
    if (created.non2xx > 0) throw new Error(`${created.non2xx} creations were not answered 2xx`);
    createRates.push({ rate: created['2xx'] / seconds, cpuMs: (platformCpu(cpuParts()) - before) / created['2xx'], p99: created.latency.p99 });
    log(`creating  round ${r + 1}   ${createRates.at(-1).rate.toFixed(0)} payments created/s, p99 ${created.latency.p99} ms, ${createRates.at(-1).cpuMs.toFixed(1)} ms of platform CPU each`);
  }

  // Every payment paid, posted once, and the ledger balanced; the ministry told of each (the relay catches up).
  const db = createKnex(dbUrl('tamkeen_payments_bench'));
  try {
    const made = context.next;
    // Payments the ministry only created (BENCH-CREATE) stay created; every one the citizens paid succeeded.
    const unpaid = Number((await db('payments').whereNot({ reference: 'BENCH-CREATE' }).whereNot({ status: 'succeeded' }).count({ n: '*' }))[0].n);
    const statuses = Object.fromEntries((await db('payments').groupBy('status').select('status').count({ n: '*' })).map((r) => [r.status, Number(r.n)]));
    const entries = Number((await db('journal_entries').where({ source_type: 'payment' }).count({ n: '*' }))[0].n);
    const unbalanced = await db('postings').groupBy('currency').havingRaw('sum(amount) <> 0').select('currency');
    const problems = [];
    if ((statuses.succeeded ?? 0) !== made || unpaid > 0) problems.push(`${made} payments paid, but ${statuses.succeeded ?? 0} succeeded and ${unpaid} of them did not (${JSON.stringify(statuses)})`);
    if (entries !== made) problems.push(`${made} payments succeeded, ${entries} payment entries in the ledger`);
    if (unbalanced.length > 0) problems.push(`the ledger does not net to zero in ${unbalanced.map((r) => r.currency).join(', ')}`);
    const deadline = Date.now() + 60_000;
    let pending;
    while ((pending = Number((await db('outbox').where({ status: 'pending' }).count({ n: '*' }))[0].n)) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    if (pending > 0) problems.push(`${pending} webhook notices still pending a minute after the load`);
    if (problems.length > 0) throw new Error(`the payments run is not consistent: ${problems.join('; ')}`);
    log(`checked: ${made} payments, all succeeded, one ledger entry each, the ledger nets to zero; ${notices} notices delivered to the ministry`);
  } finally {
    await db.destroy();
    receiver.close();
  }
  const flow = rounds.find((round) => round.rate === median(rounds.map((x) => x.rate)));
  return { ...flow, creating: createRates.find((c) => c.rate === median(createRates.map((x) => x.rate))) };
}

/** pgbench's TPC-B-like transactions per second (scale 10, LEDGER_CLIENTS clients, 2 threads), the baseline. */
async function pgbenchRate() {
  const url = dbUrl('tamkeen_pgbench_bench');
  await ensureDatabase(url);
  const exec = promisify(execFile);
  await exec('pgbench', ['-i', '-q', '-s', '10', url]);
  const rates = [];
  for (let r = 0; r < ROUNDS; r++) {
    const { stdout } = await exec('pgbench', ['-c', String(LEDGER_CLIENTS), '-j', '2', '-T', String(DURATION), url]);
    const tps = Number(/tps = ([0-9.]+)/.exec(stdout)?.[1]);
    if (!Number.isFinite(tps)) throw new Error(`pgbench printed no tps: ${stdout}`);
    rates.push(tps);
    log(`pgbench   round ${r + 1}   ${tps.toFixed(0)} TPC-B-like transactions/s`);
  }
  return median(rates);
}

/** Journal entries per second through the ledger's own code, LEDGER_CLIENTS at a time, each a payment's two postings in one transaction. */
async function ledgerRate() {
  const url = dbUrl('tamkeen_ledger_bench');
  await run('services/payments/dist/migrate.js', [], { DATABASE_URL: url });
  const { postJournalEntry, ledgerDay } = await import(join(root, 'services', 'payments', 'dist', 'ledger', 'ledger.js'));
  const { pspReceivable, ministryRevenue } = await import(join(root, 'services', 'payments', 'dist', 'ledger', 'chart-of-accounts.js'));
  const db = createKnex(url, { pool: { min: LEDGER_CLIENTS, max: LEDGER_CLIENTS } });
  const organisations = Array.from({ length: 20 }, (_, i) => `ministry-${i}`);
  const currencies = ['ILS', 'JOD', 'USD'];
  let n = 0;
  const post = () => {
    const i = n++;
    const amount = 100 + (i % 9000);
    const currency = currencies[i % 3];
    // An entry standing alone (as a payout's or a correction's): one statement, atomic by itself.
    return postJournalEntry(db, {
      sourceType: 'payment', sourceId: randomUUID(), description: `Payment BENCH-${i} succeeded`, effectiveDate: ledgerDay(new Date()),
      postings: [
        { account: pspReceivable(), amount, currency },
        { account: ministryRevenue(organisations[i % organisations.length]), amount: -amount, currency },
      ],
    });
  };
  const round = async (seconds) => {
    const before = { postgres: cpuMsOfProgram('postgres') ?? 0, own: process.cpuUsage() };
    const started = performance.now();
    const until = started + seconds * 1000;
    let done = 0;
    await Promise.all(Array.from({ length: LEDGER_CLIENTS }, async () => {
      while (performance.now() < until) {
        await post();
        done++;
      }
    }));
    const own = process.cpuUsage(before.own);
    return { rate: done / ((performance.now() - started) / 1000), nodeMs: (own.user + own.system) / 1000 / done, postgresMs: ((cpuMsOfProgram('postgres') ?? 0) - before.postgres) / done };
  };
  try {
    await round(2);
    const rates = [];
    for (let r = 0; r < ROUNDS; r++) {
      const { rate, nodeMs, postgresMs } = await round(DURATION);
      rates.push(rate);
      log(`ledger    round ${r + 1}   ${rate.toFixed(0)} journal entries/s; CPU ms per entry: node (the ledger's code, knex, pg) ${nodeMs.toFixed(3)}, postgres ${postgresMs.toFixed(3)}`);
    }
    const unbalanced = await db('postings').groupBy('currency').havingRaw('sum(amount) <> 0').select('currency');
    if (unbalanced.length > 0) throw new Error('the bench ledger does not net to zero');
    return median(rates);
  } finally {
    await db.destroy();
  }
}

async function main() {
  for (const name of DATABASES) await dropDatabase(dbUrl(name));
  log(`payments bench: ${ROUNDS} rounds of ${DURATION} s, ${CONCURRENCY} citizens paying at a time; ledger ${LEDGER_CLIENTS} clients (${PARTS.join(', ')})`);
  const verdict = (ok, target) => `${ok ? 'PASS' : 'FAIL'} (target ${target})`;
  const lines = [];
  if (PARTS.includes('flow')) {
    const flow = await paymentFlow();
    await services.stopAll();
    const counted = Object.entries(flow.perPayment).filter(([name]) => !OUTSIDE.has(name)).reduce((sum, [, ms]) => sum + ms, 0);
    lines.push(`payments created via the gateway (ministry side alone)   ${flow.creating.rate.toFixed(0)}/s, p99 ${flow.creating.p99} ms, ${flow.creating.cpuMs.toFixed(1)} ms of platform CPU each`);
    lines.push(`payments created and paid via the gateway   ${flow.rate.toFixed(1)}/s, ${counted.toFixed(1)} ms of platform CPU each (${flow.perCore.toFixed(1)} per core): ${verdict(flow.rate >= TARGETS.paymentsPerSecond, `≥ ${TARGETS.paymentsPerSecond}/s`)}`);
  }
  if (PARTS.includes('ledger')) {
    const baseline = await pgbenchRate();
    const entries = await ledgerRate();
    const share = entries / baseline;
    lines.push(`journal entries on their own                ${entries.toFixed(0)}/s = ${(share * 100).toFixed(0)} % of pgbench TPC-B-like ${baseline.toFixed(0)} tps: ${verdict(share >= TARGETS.ledgerShareOfPgbench, `≥ ${TARGETS.ledgerShareOfPgbench * 100} %`)}`);
  }
  log();
  for (const line of lines) log(line);
}

async function cleanUp() {
  await services.stopAll();
  for (const name of DATABASES) await dropDatabase(dbUrl(name)).catch(() => undefined);
}

try {
  await main();
  await cleanUp();
} catch (error) {
  process.stderr.write(`bench failed: ${error.stack ?? error.message}\n`);
  await cleanUp();
  process.exit(1);
}
