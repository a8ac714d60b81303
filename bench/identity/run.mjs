#!/usr/bin/env node
// Identity benchmark, against the real built services behind the real gateway: identity, the
// registry it asks at every citizen login, the notifications service and its worker that send the
// SMS codes, the sandbox playing Twilio, PostgreSQL and Redis.
//   1. the cost of one password check (argon2id at identity's parameters, and at OWASP's first
//      listed ones for comparison), on its own;
//   2. client-credentials tokens per second through the gateway (autocannon);
//   3. complete authorization-code logins per second through the gateway, in three kinds:
//      password (low); password + SMS code (substantial: the code sent through notifications to the
//      sandbox's Twilio and read back from its inbox, as a phone would); password + authenticator
//      app code (high). Each is authorize, the pages, the register asked, the code exchange with
//      PKCE and the ID token checked by openid-client; every login is a different citizen.
// Each figure is also given per core used (CPU of every platform process involved ÷ run time; the
// sandbox, standing in for Twilio, is shown but not counted), beside Keycloak's published sizing:
// 120 client-credentials grants/s and 15 password logins/s per vCPU. Logins: a warm-up round, then
// BENCH_ROUNDS measured rounds; the median round is the figure.
// A measurement, not a test: it prints its figures and exits 0 unless it failed.
//   npm run build && node bench/identity/run.mjs
//   (BENCH_DURATION, BENCH_CONNECTIONS, BENCH_LOGINS, BENCH_ROUNDS, BENCH_LOGIN_CONCURRENCY, BENCH_KINDS=password,sms,app)
import { createRequire } from 'node:module';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { cpuMsOf, cpuMsOfProgram } from '../lib/cpu.mjs';
import { freePort } from '../lib/ports.mjs';
import { createKnex, dropDatabase, withDatabase } from '@tamkeen/db';
import { runBuiltFile, testBrowser } from '@tamkeen/testing';
import { benchServices, root } from '../lib/services.mjs';

const require = createRequire(join(root, 'services', 'identity', 'package.json'));
const argon2 = require('@node-rs/argon2');
const { generate } = await import(require.resolve('otplib'));
const oidc = await import(require.resolve('openid-client'));
const identityDist = (file) => import(join(root, 'services', 'identity', 'dist', file));
const { ARGON2ID, hashPassword } = await identityDist('accounts/password.js');
const { citizenAccounts } = await identityDist('accounts/citizen-accounts.js');
const { authenticators } = await identityDist('authenticators/authenticators.js');
const { secretBox } = await identityDist('keys/secret-box.js');

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const LOGINS = Number(process.env.BENCH_LOGINS ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP = Number(process.env.BENCH_WARMUP_LOGINS ?? 400);
const LOGIN_CONCURRENCY = Number(process.env.BENCH_LOGIN_CONCURRENCY ?? 8);
const KINDS = (process.env.BENCH_KINDS ?? 'password,sms,app').split(',');
const KEYCLOAK = { clientCredentialsPerCore: 120, loginsPerCore: 15 };
const OWASP_FIRST = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 };
const SERVER_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const AUTHENTICATOR_KEYS = 'bench-authenticator-key-0123456789abcdef012';
const services = benchServices(join(root, 'bench', 'identity', 'results', 'profiles'));
const { children, start } = services;
const log = (line = '') => process.stdout.write(`${line}\n`);
const dbUrl = (name) => withDatabase(SERVER_URL, name);
const DATABASES = ['tamkeen_identity_bench', 'tamkeen_registry_bench', 'tamkeen_gateway_bench', 'tamkeen_notifications_bench'];
/** Processes that stand in for the outside world: shown, not counted. */
const OUTSIDE = new Set(['sandbox', 'bench']);
const run = (file, args, vars) => runBuiltFile(join(root, file), args, { PATH: process.env.PATH, ...vars });

/** CPU (ms) so far of each process: the services, PostgreSQL, Redis. */
function cpuParts() {
  return { ...Object.fromEntries(children.map((child) => [child.benchName, cpuMsOf(child.pid) ?? 0])), postgres: cpuMsOfProgram('postgres') ?? 0, redis: cpuMsOfProgram('redis-server') ?? 0 };
}
const platformCpu = (parts) => Object.entries(parts).reduce((sum, [name, ms]) => (OUTSIDE.has(name) ? sum : sum + ms), 0);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** A page's main form: a code page also has the "send again" one. */
const MAIN_FORM = /^(?!.*\/resend)/;

/**
 * A citizen's browser without JavaScript, stopping at the relying party's address: each step gives
 * the page's HTML (failing on a page other than 200) or that address.
 */
function browser(gateway) {
  const b = testBrowser(gateway, 'http://rp.bench/');
  const page = async (result) => {
    if (typeof result === 'string') return result;
    if (result.status !== 200) throw new Error(`a login page answered ${result.status}: ${(await result.text()).slice(0, 300)}`);
    return result.text();
  };
  return {
    go: b.go,
    follow: async (response) => page(await b.follow(response)),
    submit: async (html, fields) => page(await b.submit(html, fields, MAIN_FORM)),
  };
}

/** The newest six-digit code the sandbox's Twilio inbox holds for this phone, once there are more than `after` messages. */
async function smsCode(sandbox, phone, after) {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const inbox = await (await fetch(`${sandbox}/inbox/api/sms?to=${encodeURIComponent(phone)}`)).json();
    if (inbox.messages.length > after) return /([0-9]{6})/.exec(inbox.messages[0].body)[1];
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no SMS reached ${phone} within 10 s`);
}

/** One complete login of `citizen`, of the given kind; resolves when the ID token is checked. */
async function login(kind, { config, gateway, sandbox }, citizen) {
  const b = browser(gateway);
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const acr = { password: undefined, sms: 'urn:tamkeen:loa:substantial', app: 'urn:tamkeen:loa:high' }[kind];
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: 'http://rp.bench/callback', scope: 'openid profile', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, ...(acr ? { acr_values: acr } : {}),
  });
  const page = await b.follow(await b.go(url.toString()));
  const smsBefore = kind === 'sms' ? (await (await fetch(`${sandbox}/inbox/api/sms?to=${encodeURIComponent(citizen.phone)}`)).json()).messages.length : 0;
  let callback = await b.submit(page, { national_id: citizen.nationalId, password: citizen.password });
  if (kind === 'sms') callback = await b.submit(callback, { code: await smsCode(sandbox, citizen.phone, smsBefore) });
  if (kind === 'app') callback = await b.submit(callback, { code: await generate({ secret: citizen.appSecret }) });
  if (!callback.startsWith('http://rp.bench/')) throw new Error(`the ${kind} login did not come back to the relying party`);
  const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier, expectedState: state });
  if (tokens.claims()?.acr !== (acr ?? 'urn:tamkeen:loa:low')) throw new Error(`the ${kind} login gave acr ${tokens.claims()?.acr}`);
}

/** `count` logins of this kind, `LOGIN_CONCURRENCY` at a time, each a citizen of its own; the CPU they took. */
async function loginRound(kind, context, citizens, count) {
  const before = cpuParts();
  const ownBefore = process.cpuUsage();
  const started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: LOGIN_CONCURRENCY }, async () => {
    while (next < count) {
      next++;
      await login(kind, context, citizens.shift());
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  const after = cpuParts();
  const own = process.cpuUsage(ownBefore);
  // The bench itself (the citizens' browsers and the relying party): shown, not counted.
  after.bench = before.bench = 0;
  after.bench = (own.user + own.system) / 1000;
  const cores = (platformCpu(after) - platformCpu(before)) / 1000 / seconds;
  const perLogin = Object.fromEntries(Object.entries(after).map(([name, ms]) => [name, (ms - (before[name] ?? 0)) / count]));
  return { rate: count / seconds, cores, perCore: count / seconds / Math.max(cores, 0.01), perLogin };
}

async function main() {
  for (const name of DATABASES) await dropDatabase(dbUrl(name));
  const ports = { registry: await freePort(), identity: await freePort(), gateway: await freePort(), notifications: await freePort(), worker: await freePort(), sandbox: await freePort(), smtp: await freePort() };
  const url = (name) => `http://127.0.0.1:${ports[name]}`;
  const gateway = url('gateway');
  const perKind = WARMUP + ROUNDS * LOGINS;
  log(`Setting up: ${KINDS.length} kinds of login × (${WARMUP} warm-up + ${ROUNDS} × ${LOGINS}) logins, each by a different citizen...`);
  await run('services/registry/dist/migrate.js', [], { DATABASE_URL: dbUrl('tamkeen_registry_bench'), REGISTRY_SEED_CITIZENS: String(Math.ceil(KINDS.length * perKind * 1.2) + 100) });
  for (const service of ['identity', 'gateway', 'notifications']) await run(`services/${service}/dist/migrate.js`, [], { DATABASE_URL: dbUrl(`tamkeen_${service}_bench`) });
  const prefix = `bench-identity-${process.pid}`;
  const sandbox = await start('sandbox', 'services/sandbox/dist/main.js', { HOST: '127.0.0.1', PORT: String(ports.sandbox), SMTP_PORT: String(ports.smtp), SMS_STEP_DELAY_MS: '0' }, url('sandbox'));
  await start('registry', 'services/registry/dist/main.js', {
    HOST: '127.0.0.1', PORT: String(ports.registry), DATABASE_URL: dbUrl('tamkeen_registry_bench'), REDIS_URL, REDIS_PREFIX: prefix, LOOKUPS_PER_MINUTE: '1000000',
    X_ROAD_MEMBERS: JSON.stringify([{ client: 'PS/GOV/MOPAD/identity', jwks_uri: `${url('identity')}/internal/x-road/jwks`, services: ['verify', 'citizens'] }]),
  }, url('registry'));
  await start('identity', 'services/identity/dist/main.js', {
    HOST: '127.0.0.1', PORT: String(ports.identity), DATABASE_URL: dbUrl('tamkeen_identity_bench'), REDIS_URL, REDIS_PREFIX: prefix, PUBLIC_URL: gateway,
    COOKIE_KEYS: 'bench-cookie-key-0123456789abcdef0123456789', AUTHENTICATOR_KEYS, LOGIN_TRIES_PER_ACCOUNT_PER_MINUTE: '1000000', LOGIN_TRIES_PER_ADDRESS_PER_MINUTE: '1000000',
    REGISTRY_URL: url('registry'), NOTIFICATIONS_URL: url('notifications'),
  }, url('identity'));
  const notificationsCommon = { DATABASE_URL: dbUrl('tamkeen_notifications_bench'), REDIS_URL, QUEUE_PREFIX: prefix, TWILIO_AUTH_TOKEN: 'sandbox-twilio-auth-token' };
  await start('notifications', 'services/notifications/dist/main.js', {
    ...notificationsCommon, HOST: '127.0.0.1', PORT: String(ports.notifications), RATE_LIMIT_PER_MINUTE: '1000000', SMS_STATUS_CALLBACK_URL: `${gateway}/notifications/v1/callbacks/twilio`,
    ACCESS_TOKEN_JWKS_URL: `${url('identity')}/auth/enterprise/jwks`, ACCESS_TOKEN_ISSUER: `${gateway}/auth/enterprise`, ACCESS_TOKEN_AUDIENCE: `${gateway}/notifications/v1`,
  }, url('notifications'));
  await start('worker', 'services/notifications/dist/worker.js', {
    ...notificationsCommon, METRICS_PORT: String(ports.worker), TWILIO_API_URL: sandbox, TWILIO_ACCOUNT_SID: 'AC00000000000000000000000000000000', SMS_SENDER: 'Tamkeen',
    SMTP_URL: `smtp://127.0.0.1:${ports.smtp}`, EMAIL_FROM: 'bench@tamkeen.local',
  }, url('worker'));
  await start('gateway', 'services/gateway/dist/main.js', {
    HOST: '127.0.0.1', PORT: String(ports.gateway), DATABASE_URL: dbUrl('tamkeen_gateway_bench'), REDIS_URL,
    IDENTITY_URL: url('identity'), PAYMENTS_URL: 'http://127.0.0.1:1', NOTIFICATIONS_URL: url('notifications'),
  }, gateway);

  const admin = async (...args) => JSON.parse(await run('services/identity/dist/admin.js', args, { DATABASE_URL: dbUrl('tamkeen_identity_bench'), REGISTRY_URL: url('registry') }));
  await admin('organisation', 'add', '--id', 'bench', '--name-ar', 'قياس', '--name-en', 'Bench');
  const machine = await admin('machine-client', 'add', '--organisation', 'bench', '--name', 'Bench machine', '--scope', 'notifications:send');
  const rp = await admin('relying-party', 'add', '--organisation', 'bench', '--name', 'Bench RP', '--redirect-uri', 'http://rp.bench/callback');

  // Citizens the register knows alive with a valid card, each with an account (one password hash
  // for all: it is the check that costs, not the hash); those for app logins with a linked app.
  const registryDb = createKnex(dbUrl('tamkeen_registry_bench'));
  const identityDb = createKnex(dbUrl('tamkeen_identity_bench'));
  const password = 'bench-password-olive-tree';
  const passwordHash = await hashPassword(password);
  const ids = (await registryDb('citizens').where({ status: 'alive', card_status: 'valid' }).orderBy('national_id').limit(KINDS.length * perKind).pluck('national_id'));
  if (ids.length < KINDS.length * perKind) throw new Error(`the register has ${ids.length} citizens to log in, not ${KINDS.length * perKind}`);
  await registryDb.destroy();
  const accounts = citizenAccounts(identityDb);
  const apps = authenticators(identityDb, secretBox([AUTHENTICATOR_KEYS]));
  const citizensOf = {};
  for (const [k, kind] of KINDS.entries()) {
    citizensOf[kind] = [];
    for (const [i, nationalId] of ids.slice(k * perKind, (k + 1) * perKind).entries()) {
      const phone = `+97059${String(k * perKind + i).padStart(7, '0')}`;
      const account = await accounts.create({ nationalId, nameAr: '-', nameEn: '-', birthdate: '1990-01-01', phoneNumber: phone, phoneNumberVerified: true, email: null, emailVerified: false, passwordHash });
      const citizen = { nationalId, password, phone };
      if (kind === 'app') {
        const { secret } = await apps.pending(account.id, nationalId, 'bench');
        const linked = await apps.confirm(account.id, await generate({ secret }), 'bench');
        if (!linked.ok) throw new Error(`could not link an app: ${linked.reason}`);
        citizen.appSecret = secret;
      }
      citizensOf[kind].push(citizen);
    }
  }
  // The codes used to link the apps were this time step's: forget it, so that the logins' codes (in the same step) count.
  await identityDb('authenticators').update({ last_time_step: null });
  await identityDb.destroy();

  // 1. One password check, alone.
  const timeChecks = async (parameters) => {
    const stored = await argon2.hash(password, parameters);
    for (let i = 0; i < 3; i++) await argon2.verify(stored, password);
    const startedCpu = process.cpuUsage();
    for (let i = 0; i < 20; i++) await argon2.verify(stored, password);
    const used = process.cpuUsage(startedCpu);
    return (used.user + used.system) / 1000 / 20;
  };
  const checkMs = await timeChecks(ARGON2ID);
  const owaspFirstMs = await timeChecks(OWASP_FIRST);

  // 2. Client-credentials tokens through the gateway.
  const basic = Buffer.from(`${machine.client_id}:${machine.client_secret}`).toString('base64');
  const tokenRequest = { url: `${gateway}/auth/enterprise/token`, method: 'POST', headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&scope=notifications%3Asend' };
  const check = await fetch(tokenRequest.url, tokenRequest);
  if (!check.ok) throw new Error(`the token endpoint answered ${check.status}: ${await check.text()}`);
  await autocannon({ ...tokenRequest, connections: CONNECTIONS, duration: 2 });
  const ccBefore = platformCpu(cpuParts());
  const started = performance.now();
  const cc = await autocannon({ ...tokenRequest, connections: CONNECTIONS, duration: DURATION });
  const ccSeconds = (performance.now() - started) / 1000;
  const ccCores = (platformCpu(cpuParts()) - ccBefore) / 1000 / ccSeconds;
  const ccRate = cc['2xx'] / ccSeconds;
  const ccPerCore = ccRate / Math.max(ccCores, 0.01);
  if (cc.non2xx > 0) log(`warning: ${cc.non2xx} token requests were not answered 2xx`);

  // 3. Complete logins through the gateway.
  const config = await oidc.discovery(new URL(`${gateway}/auth/citizen`), rp.client_id, rp.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
  const context = { config, gateway, sandbox };
  const results = {};
  for (const kind of KINDS) {
    const citizens = citizensOf[kind];
    const warm = await loginRound(kind, context, citizens, WARMUP);
    log(`${kind.padEnd(8)} warm-up   ${warm.rate.toFixed(1)} logins/s, ${warm.perCore.toFixed(1)} per core (not counted)`);
    const rounds = [];
    for (let r = 0; r < ROUNDS; r++) {
      const round = await loginRound(kind, context, citizens, LOGINS);
      rounds.push(round);
      log(`${kind.padEnd(8)} round ${r + 1}   ${round.rate.toFixed(1)} logins/s, ${round.cores.toFixed(2)} cores → ${round.perCore.toFixed(1)} per core; CPU ms per login: ${Object.entries(round.perLogin).map(([name, ms]) => `${name} ${ms.toFixed(1)}`).join(', ')}`);
    }
    results[kind] = rounds.find((round) => round.perCore === median(rounds.map((x) => x.perCore)));
  }

  const verdict = (value, target) => `${value >= target ? 'PASS' : 'FAIL'} (target ≥ ${target})`;
  log();
  log(`password check (argon2id ${ARGON2ID.memoryCost >> 10} MiB × ${ARGON2ID.timeCost})   ${checkMs.toFixed(1)} ms of CPU (OWASP's 19 MiB × 2: ${owaspFirstMs.toFixed(1)} ms)`);
  log(`client credentials via the gateway    ${ccRate.toFixed(0)} tokens/s, p50 ${cc.latency.p50} ms, p99 ${cc.latency.p99} ms; ${ccCores.toFixed(2)} cores → ${ccPerCore.toFixed(0)} per core (Keycloak ${KEYCLOAK.clientCredentialsPerCore}): ${verdict(ccPerCore, 2 * KEYCLOAK.clientCredentialsPerCore)}`);
  const titles = { password: 'password (low)', sms: 'password + SMS code (substantial)', app: 'password + app code (high)' };
  for (const kind of KINDS) {
    const r = results[kind];
    const counted = Object.entries(r.perLogin).filter(([name]) => !OUTSIDE.has(name)).reduce((sum, [, ms]) => sum + ms, 0);
    log(`logins, ${titles[kind].padEnd(34)} ${r.rate.toFixed(1)}/s, ${counted.toFixed(1)} ms of CPU each → ${r.perCore.toFixed(1)} per core (Keycloak ${KEYCLOAK.loginsPerCore}): ${verdict(r.perCore, 2 * KEYCLOAK.loginsPerCore)}`);
  }
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
