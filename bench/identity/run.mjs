#!/usr/bin/env node
// Identity benchmark, against the real built services behind the real gateway (identity, the
// registry it asks at every login, PostgreSQL, Redis):
//   1. the cost of one password hash (argon2id, OWASP's parameters), on its own;
//   2. client-credentials tokens per second through the gateway (autocannon);
//   3. complete code-flow logins per second through the gateway: authorize, the login page, the
//      password, the register check, the code exchange with PKCE, the ID token checked.
// Each figure is also given per core used (CPU of every process involved ÷ run time), beside
// Keycloak's published sizing: 120 client-credentials grants/s and 15 password logins/s per vCPU.
// A measurement, not a test: it prints its figures and exits 0 unless it failed.
//   npm run build && node bench/identity/run.mjs     (BENCH_DURATION, BENCH_CONNECTIONS, BENCH_LOGINS)
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { cpuMsOf, cpuMsOfProgram } from '../lib/cpu.mjs';
import { freePort } from '../lib/ports.mjs';
import { dropDatabase, withDatabase } from '@tamkeen/db';
import { benchServices, root } from '../lib/services.mjs';

const require = createRequire(join(root, 'services', 'identity', 'package.json'));
const argon2 = require('@node-rs/argon2');
const oidc = await import(require.resolve('openid-client'));

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const LOGINS = Number(process.env.BENCH_LOGINS ?? 200);
const LOGIN_CONCURRENCY = Number(process.env.BENCH_LOGIN_CONCURRENCY ?? 8);
const KEYCLOAK = { clientCredentialsPerCore: 120, loginsPerCore: 15 };
const SERVER_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const services = benchServices(join(root, 'bench', 'identity', 'results', 'profiles'));
const { children } = services;
const dropBenchDatabase = (name) => dropDatabase(withDatabase(SERVER_URL, name));
const start = services.start;
const log = (line = '') => process.stdout.write(`${line}\n`);
const dbUrl = (name) => Object.assign(new URL(SERVER_URL), { pathname: `/${name}` }).toString();
const DATABASES = ['tamkeen_identity_bench', 'tamkeen_registry_bench', 'tamkeen_gateway_bench'];

function run(file, env) {
  return execFileSync(process.execPath, [join(root, file), ...(env.args ?? [])], { env: { PATH: process.env.PATH, ...env.vars }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

/** CPU (ms) so far of each process a phase uses: the services, PostgreSQL, Redis. */
function cpuParts() {
  return { ...Object.fromEntries(children.map((child) => [child.benchName, cpuMsOf(child.pid) ?? 0])), postgres: cpuMsOfProgram('postgres') ?? 0, redis: cpuMsOfProgram('redis-server') ?? 0 };
}
const serverCpu = () => Object.values(cpuParts()).reduce((a, b) => a + b, 0);
/** ms of CPU per unit of work, per process, between two readings. */
const perUnit = (before, after, units) => Object.entries(after).map(([name, ms]) => `${name} ${((ms - (before[name] ?? 0)) / units).toFixed(1)}`).join(', ');

/** One complete login: authorize, the page, the password, the code exchange; resolves when the ID token is checked. */
async function login(config, gateway, credentials) {
  const cookies = new Map();
  const go = async (url, form) => {
    const r = await fetch(new URL(url, gateway), {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    for (const line of r.headers.getSetCookie()) {
      const [n, ...v] = line.split(';')[0].split('=');
      cookies.set(n.trim(), v.join('='));
    }
    return r;
  };
  const follow = async (r) => {
    while (r.status >= 300 && r.status < 400) {
      const next = new URL(r.headers.get('location'), gateway).toString();
      if (next.startsWith('http://rp.bench/')) return next;
      r = await go(next);
    }
    return r;
  };
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: 'http://rp.bench/callback', scope: 'openid profile', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state });
  const page = await follow(await go(url.toString()));
  const html = await page.text();
  const action = /<form method="post" action="([^"]+)"/.exec(html)[1].replace(/&amp;/g, '&');
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)[1];
  const callback = await follow(await go(action, { csrf, ...credentials }));
  if (typeof callback !== 'string') throw new Error(`login did not come back (${callback.status})`);
  const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier, expectedState: state });
  if (!tokens.claims()?.sub) throw new Error('no ID token');
}

async function main() {
  for (const name of DATABASES) await dropBenchDatabase(name);
  const [registryPort, identityPort, gatewayPort] = [await freePort(), await freePort(), await freePort()];
  const gateway = `http://127.0.0.1:${gatewayPort}`;
  const identityUrl = `http://127.0.0.1:${identityPort}`;
  run('services/registry/dist/migrate.js', { vars: { DATABASE_URL: dbUrl('tamkeen_registry_bench'), REGISTRY_SEED_CITIZENS: '0' } });
  run('services/identity/dist/migrate.js', { vars: { DATABASE_URL: dbUrl('tamkeen_identity_bench') } });
  run('services/gateway/dist/migrate.js', { vars: { DATABASE_URL: dbUrl('tamkeen_gateway_bench') } });
  const prefix = `bench-identity-${process.pid}`;
  await start('registry', 'services/registry/dist/main.js', {
    HOST: '127.0.0.1', PORT: String(registryPort), DATABASE_URL: dbUrl('tamkeen_registry_bench'), REDIS_URL, REDIS_PREFIX: prefix, LOOKUPS_PER_MINUTE: '1000000',
    X_ROAD_MEMBERS: JSON.stringify([{ client: 'PS/GOV/MOPAD/identity', jwks_uri: `${identityUrl}/internal/x-road/jwks`, services: ['verify', 'citizens'] }]),
  }, `http://127.0.0.1:${registryPort}`);
  await start('identity', 'services/identity/dist/main.js', {
    HOST: '127.0.0.1', PORT: String(identityPort), DATABASE_URL: dbUrl('tamkeen_identity_bench'), REDIS_URL, PUBLIC_URL: gateway,
    COOKIE_KEYS: 'bench-cookie-key-0123456789abcdef0123456789', AUTHENTICATOR_KEYS: 'bench-authenticator-key-0123456789abcdef012', LOGIN_TRIES_PER_ACCOUNT_PER_MINUTE: '1000000', LOGIN_TRIES_PER_ADDRESS_PER_MINUTE: '1000000', REGISTRY_URL: `http://127.0.0.1:${registryPort}`, NOTIFICATIONS_URL: 'http://127.0.0.1:1',
  }, identityUrl);
  await start('gateway', 'services/gateway/dist/main.js', {
    HOST: '127.0.0.1', PORT: String(gatewayPort), DATABASE_URL: dbUrl('tamkeen_gateway_bench'), REDIS_URL,
    IDENTITY_URL: identityUrl, PAYMENTS_URL: 'http://127.0.0.1:1', NOTIFICATIONS_URL: 'http://127.0.0.1:1',
  }, gateway);

  const admin = (...args) => JSON.parse(run('services/identity/dist/admin.js', { args, vars: { DATABASE_URL: dbUrl('tamkeen_identity_bench'), REGISTRY_URL: `http://127.0.0.1:${registryPort}` } }));
  admin('organisation', 'add', '--id', 'bench', '--name-ar', 'قياس', '--name-en', 'Bench');
  const machine = admin('machine-client', 'add', '--organisation', 'bench', '--name', 'Bench machine', '--scope', 'notifications:send');
  const rp = admin('relying-party', 'add', '--organisation', 'bench', '--name', 'Bench RP', '--redirect-uri', 'http://rp.bench/callback');
  const password = 'bench-password-olive-tree';
  admin('citizen', 'add', '--national-id', '900000019', '--password', password);

  // 1. One password hash, alone.
  const hashes = 20;
  let started = performance.now();
  for (let i = 0; i < hashes; i++) await argon2.hash(`password-${i}`, { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
  const hashMs = (performance.now() - started) / hashes;
  started = performance.now();
  const stored = await argon2.hash(password, { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
  for (let i = 0; i < hashes; i++) await argon2.verify(stored, password);
  const verifyMs = (performance.now() - started) / hashes;

  // 2. Client-credentials tokens through the gateway.
  const basic = Buffer.from(`${machine.client_id}:${machine.client_secret}`).toString('base64');
  const tokenRequest = { url: `${gateway}/auth/enterprise/token`, method: 'POST', headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&scope=notifications%3Asend' };
  const check = await fetch(tokenRequest.url, tokenRequest);
  if (!check.ok) throw new Error(`the token endpoint answered ${check.status}: ${await check.text()}`);
  await autocannon({ ...tokenRequest, connections: CONNECTIONS, duration: 2 });
  let cpuBefore = serverCpu();
  started = performance.now();
  const cc = await autocannon({ ...tokenRequest, connections: CONNECTIONS, duration: DURATION });
  const ccSeconds = (performance.now() - started) / 1000;
  const ccCores = (serverCpu() - cpuBefore) / 1000 / ccSeconds;
  const ccRate = cc['2xx'] / ccSeconds;
  if (cc.non2xx > 0) log(`warning: ${cc.non2xx} token requests were not answered 2xx`);

  // 3. Complete logins through the gateway.
  const config = await oidc.discovery(new URL(`${gateway}/auth/citizen`), rp.client_id, rp.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
  const credentials = { national_id: '900000019', password };
  for (let i = 0; i < 5; i++) await login(config, gateway, credentials);
  cpuBefore = serverCpu();
  const partsBefore = cpuParts();
  started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: LOGIN_CONCURRENCY }, async () => {
    while (next < LOGINS) {
      next++;
      await login(config, gateway, credentials);
    }
  }));
  const loginSeconds = (performance.now() - started) / 1000;
  const loginCores = (serverCpu() - cpuBefore) / 1000 / loginSeconds;
  const loginRate = LOGINS / loginSeconds;
  const loginParts = perUnit(partsBefore, cpuParts(), LOGINS);

  const perCore = (rate, cores) => rate / Math.max(cores, 0.01);
  log();
  log(`password hash (argon2id, 19 MiB, t=2)   hash ${hashMs.toFixed(1)} ms, verify ${verifyMs.toFixed(1)} ms  (${(1000 / verifyMs).toFixed(0)} verifications/s on one core)`);
  log(`client credentials via the gateway       ${ccRate.toFixed(0)} tokens/s, p50 ${cc.latency.p50} ms, p99 ${cc.latency.p99} ms; ${ccCores.toFixed(2)} cores used → ${perCore(ccRate, ccCores).toFixed(0)} per core (Keycloak ${KEYCLOAK.clientCredentialsPerCore}; target ≥ ${2 * KEYCLOAK.clientCredentialsPerCore}: ${perCore(ccRate, ccCores) >= 2 * KEYCLOAK.clientCredentialsPerCore ? 'PASS' : 'FAIL'})`);
  log(`  CPU ms per login: ${loginParts}`);
  log(`code-flow logins (password) via gateway  ${loginRate.toFixed(1)} logins/s; ${loginCores.toFixed(2)} cores used → ${perCore(loginRate, loginCores).toFixed(1)} per core (Keycloak ${KEYCLOAK.loginsPerCore}; target ≥ ${2 * KEYCLOAK.loginsPerCore}: ${perCore(loginRate, loginCores) >= 2 * KEYCLOAK.loginsPerCore ? 'PASS' : 'FAIL'})`);
}

async function cleanUp() {
  await services.stopAll();
  for (const name of DATABASES) await dropBenchDatabase(name).catch(() => undefined);
}

try {
  await main();
  await cleanUp();
} catch (error) {
  process.stderr.write(`bench failed: ${error.stack ?? error.message}\n`);
  await cleanUp();
  process.exit(1);
}
