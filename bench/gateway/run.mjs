#!/usr/bin/env node
// Gateway overhead benchmark: the same request sent straight to the payments service and through the
// gateway, in the same run, against the REAL built services (their logging, request ids and error funnel
// included). Prints req/s, p50 and p99 for both, the gateway/direct throughput ratio and the latency the
// gateway adds, and compares them with the targets. A measurement, not a test: exits 0 whatever the figures.
//
//   npm run build && npm run bench:gateway
//   BENCH_DURATION=20 BENCH_CONNECTIONS=100 node bench/gateway/run.mjs
//
// See bench/README.md for every variable and what the figures mean.
import { Agent, request as httpRequest } from 'node:http';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { cpuMsOf, machineCpuMs } from '../lib/cpu.mjs';
import { freePort } from '../lib/ports.mjs';
import { benchServices } from '../lib/services.mjs';
import { runBuiltFile } from '@tamkeen/testing';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const resultsDir = join(root, 'bench', 'gateway', 'results');
const profileDir = join(resultsDir, 'profiles');
// BENCH_CPU_PROF=1 profiles both services (benchServices reads it).
const services = benchServices(profileDir);

const TARGET_RATIO_PCT = 60;
const TARGET_ADDED_P50_MS = 1;

// ---------------------------------------------------------------------------------------------- settings

function fail(message, code = 1) {
  const error = new Error(message);
  error.exitCode = code;
  error.plain = true;
  return error;
}

function intFromEnv(name, fallback, { min = 1 } = {}) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    process.stderr.write(`${name} must be a whole number ≥ ${min} (got "${raw}").\n`);
    process.exit(2);
  }
  return value;
}

const settings = {
  path: process.env.BENCH_PATH || '/payments/v1/bench',
  durationS: intFromEnv('BENCH_DURATION', 10),
  connections: intFromEnv('BENCH_CONNECTIONS', 50),
  pipelining: intFromEnv('BENCH_PIPELINING', 1),
  warmupS: intFromEnv('BENCH_WARMUP', 3, { min: 0 }),
  rounds: intFromEnv('BENCH_ROUNDS', 3),
  unloadedS: intFromEnv('BENCH_UNLOADED_DURATION', 3, { min: 0 }),
  logLevel: process.env.BENCH_LOG_LEVEL || 'info',
  cpuProf: process.env.BENCH_CPU_PROF === '1',
};
if (!settings.path.startsWith('/payments/') && !settings.path.startsWith('/pay/') && !settings.path.startsWith('/finance/')) {
  process.stderr.write(`BENCH_PATH must be a path the gateway sends to payments (/payments/..., /pay/..., /finance/...); got ${settings.path}\n`);
  process.exit(2);
}
const serverUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

function databaseUrlFor(name) {
  const url = new URL(serverUrl);
  url.pathname = `/tamkeen_${name}`;
  return url.toString();
}

const log = (line = '') => process.stdout.write(`${line}\n`);

// ------------------------------------------------------------------------------------------ preflight

function requireBuilt() {
  const missing = [];
  for (const name of readdirSync(join(root, 'services'))) {
    if (!existsSync(join(root, 'services', name, 'package.json'))) continue;
    if (!existsSync(join(root, 'services', name, 'dist'))) missing.push(`services/${name}/dist`);
  }
  for (const name of ['payments', 'gateway']) {
    for (const entry of ['main.js', 'migrate.js']) {
      const file = join('services', name, 'dist', entry);
      if (!existsSync(join(root, file)) && !missing.includes(`services/${name}/dist`)) missing.push(file);
    }
  }
  for (const name of readdirSync(join(root, 'packages'))) {
    const manifest = join(root, 'packages', name, 'package.json');
    if (!existsSync(manifest)) continue;
    const { exports: exported } = JSON.parse(readFileSync(manifest, 'utf8'));
    const entry = exported?.['.']?.default ?? exported?.['.'];
    if (typeof entry === 'string' && entry.includes('dist/') && !existsSync(join(root, 'packages', name, entry))) missing.push(`packages/${name}/${entry.replace(/^\.\//, '')}`);
  }
  if (missing.length) throw fail(`Not built: ${missing.join(', ')}.\nRun \`npm run build\` first (the bench measures the built services and builds nothing itself).`);
}

function reachable(url, defaultPort) {
  const { hostname, port } = new URL(url);
  const host = hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(port || defaultPort) });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function requireStores() {
  const [pg, redis] = await Promise.all([reachable(serverUrl, 5432), reachable(redisUrl, 6379)]);
  const down = [];
  const where = (url, port) => `${new URL(url).hostname}:${new URL(url).port || port}`;
  if (!pg) down.push(`PostgreSQL is not reachable at ${where(serverUrl, 5432)}`);
  if (!redis) down.push(`Redis is not reachable at ${where(redisUrl, 6379)}`);
  if (down.length) throw fail(`${down.join('; ')}.\nStart them (see the README at the repository root), or point DATABASE_URL / REDIS_URL at running servers.`);
}

// ------------------------------------------------------------------------------------------- services

function serviceEnv(name, port, extra = {}) {
  const env = { ...process.env };
  for (const key of ['DATABASE_URL', 'REDIS_URL', 'PORT', 'HOST', 'LOG_LEVEL', 'IDENTITY_URL', 'PAYMENTS_URL', 'NOTIFICATIONS_URL']) delete env[key];
  return {
    ...env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrlFor(name),
    REDIS_URL: redisUrl,
    LOG_LEVEL: settings.logLevel,
    // Bounds the shutdown at the end of the run.
    SHUTDOWN_TIMEOUT_MS: '3000',
    ...extra,
  };
}

/** Runs each service's migrations (services/<name>/dist/migrate.js). */
async function migrate(names) {
  await Promise.all(
    names.map((name) =>
      runBuiltFile(join(root, 'services', name, 'dist', 'migrate.js'), [], serviceEnv(name, 1)).catch((error) => {
        throw fail(`${name} migrate failed: ${error.message}`);
      }),
    ),
  );
}

// ---------------------------------------------------------------------------------------- measurement

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

const median = (values) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

let current;

/**
 * One autocannon run. Latencies are taken from autocannon's own per-response timings (process.hrtime,
 * sub-millisecond) because its histogram rounds to whole milliseconds, too coarse for a 1 ms target.
 */
/**
 * An open-loop load at an even pace: `rate` requests a second, each sent on time whether or not the
 * earlier ones have been answered (autocannon's overallRate sends each second's share in a burst,
 * which measures its own queueing). Returns what autocannon's 'response' events would give.
 */
function pacedLoad(url, rate, durationS, onResponse) {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const intervalMs = 1000 / rate;
  const started = performance.now();
  const end = started + durationS * 1000;
  let next = started;
  let pending = 0;
  let errors = 0;
  return new Promise((resolve) => {
    const finish = () => {
      agent.destroy();
      resolve({ duration: (performance.now() - started) / 1000, errors, timeouts: 0 });
    };
    const fire = () => {
      const sent = performance.now();
      pending++;
      const req = httpRequest(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => {
          pending--;
          onResponse(undefined, res.statusCode, 0, performance.now() - sent);
          if (performance.now() >= end && pending === 0) finish();
        });
      });
      req.on('error', () => {
        pending--;
        errors++;
      });
      req.end();
    };
    const tick = () => {
      const now = performance.now();
      if (now >= end) {
        if (pending === 0) finish();
        return;
      }
      while (next <= now) {
        fire();
        next += intervalMs;
      }
      setTimeout(tick, Math.max(0, Math.min(1, next - performance.now())));
    };
    tick();
  });
}

async function measure(target, url, { durationS, connections, expectedStatus, pids, overallRate }) {
  const latencies = [];
  const statuses = {};
  const cpuBefore = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMsOf(pid)]));
  const selfBefore = process.cpuUsage();
  const machineBefore = machineCpuMs();
  const onResponse = (_client, statusCode, _bytes, responseTime) => {
    latencies.push(responseTime);
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
  };
  let result;
  if (overallRate) {
    result = await pacedLoad(url, overallRate, durationS, onResponse);
  } else {
    const instance = autocannon({ url, method: 'GET', connections, pipelining: settings.pipelining, duration: durationS, timeout: 10 });
    current = instance;
    instance.on('response', onResponse);
    result = await instance;
    current = undefined;
  }
  const self = process.cpuUsage(selfBefore);
  const machineAfter = machineCpuMs();
  const wallS = result.duration;
  latencies.sort((a, b) => a - b);
  const responses = latencies.length;
  const cpu = Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => {
      const after = cpuMsOf(pid);
      const used = after === undefined || cpuBefore[name] === undefined ? undefined : after - cpuBefore[name];
      return [name, used];
    }),
  );
  cpu.loadgen = (self.user + self.system) / 1000;
  // What else ran on the machine meanwhile (other processes): noise the figures include. Interrupt time
  // (mostly this run's own loopback traffic) and time stolen by a hypervisor are kept apart, in % of one core.
  const ours = Object.values(cpu).reduce((sum, ms) => sum + (ms ?? 0), 0);
  const pctOfCore = (ms) => ms / (wallS * 10);
  const machine =
    machineBefore && machineAfter
      ? {
          otherProcessesPct: Math.max(0, pctOfCore(machineAfter.processes - machineBefore.processes - ours)),
          interruptsPct: pctOfCore(machineAfter.interrupts - machineBefore.interrupts),
          stealPct: pctOfCore(machineAfter.steal - machineBefore.steal),
        }
      : undefined;
  const otherCpuPct = machine?.otherProcessesPct;
  const unexpected = Object.entries(statuses)
    .filter(([status]) => Number(status) !== expectedStatus)
    .reduce((sum, [, count]) => sum + count, 0);
  return {
    target,
    connections,
    durationS: wallS,
    responses,
    rps: responses / wallS,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? NaN,
    statuses,
    unexpected,
    errors: result.errors,
    timeouts: result.timeouts,
    // CPU (ms of one core) each process spent during the run, and per response (µs).
    cpuMs: cpu,
    // CPU used by other processes during the run, in % of one core (and interrupts, hypervisor steal).
    otherCpuPct,
    machine,
    cpuUsPerRequest: Object.fromEntries(Object.entries(cpu).map(([name, ms]) => [name, ms === undefined || !responses ? undefined : (ms * 1000) / responses])),
  };
}

function summarise(runs) {
  const pick = (key) => median(runs.map((r) => r[key]));
  const cpuNames = Object.keys(runs[0]?.cpuUsPerRequest ?? {});
  return {
    runs: runs.length,
    rps: pick('rps'),
    bestRps: Math.max(...runs.map((r) => r.rps)),
    p50: pick('p50'),
    p90: pick('p90'),
    p99: pick('p99'),
    cpuUsPerRequest: Object.fromEntries(cpuNames.map((name) => [name, median(runs.map((r) => r.cpuUsPerRequest[name]))])),
    otherCpuPct: median(runs.map((r) => r.otherCpuPct)),
    unexpected: runs.reduce((sum, r) => sum + r.unexpected, 0),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    timeouts: runs.reduce((sum, r) => sum + r.timeouts, 0),
  };
}

// ------------------------------------------------------------------------------------------- reporting

const fmt = (value, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const fmtInt = (value) => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a');
const pad = (text, width, left = false) => (left ? String(text).padEnd(width) : String(text).padStart(width));

function printTable(summary) {
  const { direct, gateway, ratioPct, addedP50Ms, unloaded } = summary;
  log();
  log(`GET ${settings.path} → ${summary.status}; ${settings.connections} connections, pipelining ${settings.pipelining}; median of ${settings.rounds} × ${settings.durationS} s each`);
  log(`${pad('', 9, true)}${pad('req/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}   CPU µs/request (payments / gateway / load generator)`);
  for (const [name, s] of [
    ['direct', direct],
    ['gateway', gateway],
  ]) {
    const cpu = s.cpuUsPerRequest;
    const cpuText = [cpu.payments, cpu.gateway, cpu.loadgen].map((v) => (Number.isFinite(v) ? fmt(v, 0) : '–')).join(' / ');
    log(`${pad(name, 9, true)}${pad(fmtInt(s.rps), 10)}${pad(fmt(s.p50), 9)}${pad(fmt(s.p99), 9)}   ${cpuText}`);
  }
  log();
  const verdict = (ok) => (ok ? 'PASS' : 'FAIL');
  log(`gateway/direct throughput   ${pad(fmt(ratioPct, 1) + ' %', 9)}   target ≥ ${TARGET_RATIO_PCT} %    ${verdict(summary.targets.ratio.pass)}`);
  if (unloaded) {
    log();
    log(`Paced at ${fmtInt(unloaded.rate)} req/s, evenly spaced (half the gateway's capacity), median of ${settings.rounds} × ${settings.unloadedS} s`);
    log(`${pad('', 9, true)}${pad('req/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}`);
    log(`${pad('direct', 9, true)}${pad(fmtInt(unloaded.direct.rps), 10)}${pad(fmt(unloaded.direct.p50, 3), 9)}${pad(fmt(unloaded.direct.p99, 3), 9)}`);
    log(`${pad('gateway', 9, true)}${pad(fmtInt(unloaded.gateway.rps), 10)}${pad(fmt(unloaded.gateway.p50, 3), 9)}${pad(fmt(unloaded.gateway.p99, 3), 9)}`);
    log();
    log(`added p50 latency, paced    ${pad(fmt(unloaded.addedP50Ms, 3) + ' ms', 9)}   target < ${TARGET_ADDED_P50_MS} ms    ${verdict(summary.targets.addedP50.pass)}`);
  }
  log(`added p50 at saturation     ${pad(fmt(addedP50Ms) + ' ms', 9)}   (queueing: ≈ ${settings.connections} connections ÷ throughput; informational)`);
  const problems = [];
  for (const [name, s] of [
    ['direct', direct],
    ['gateway', gateway],
  ]) {
    if (s.unexpected) problems.push(`${name}: ${s.unexpected} responses were not ${summary.status}`);
    if (s.errors || s.timeouts) problems.push(`${name}: ${s.errors} connection errors, ${s.timeouts} timeouts`);
  }
  const busiest = Math.max(direct.otherCpuPct, gateway.otherCpuPct);
  if (busiest > 15) problems.push(`other processes used up to ${fmt(busiest, 0)} % of a core during the runs, so req/s is noisy; CPU µs/request is the steadier figure`);
  if (problems.length) log(`\nWARNING: ${problems.join('; ')}. See the runs in the JSON.`);
}

// ---------------------------------------------------------------------------------------------- main

let interrupted = false;

async function main() {
  const started = Date.now();
  requireBuilt();
  await requireStores();

  log('Migrating tamkeen_payments and tamkeen_gateway...');
  await migrate(['payments', 'gateway']);

  const [paymentsPort, gatewayPort, identityPort, notificationsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  if (settings.cpuProf) mkdirSync(profileDir, { recursive: true });

  const paymentsUrl = `http://127.0.0.1:${paymentsPort}`;
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  log(`Starting payments on ${paymentsPort} and the gateway on ${gatewayPort} (LOG_LEVEL=${settings.logLevel}, logs to /dev/null)...`);
  await Promise.all([
    services.start(
      'payments',
      'services/payments/dist/main.js',
      serviceEnv('payments', paymentsPort, {
        // Required, not exercised: the bench's path is not an API that checks tokens or calls the PSP.
        ACCESS_TOKEN_JWKS_URL: `http://127.0.0.1:${identityPort}/auth/enterprise/jwks`,
        ACCESS_TOKEN_ISSUER: 'http://localhost:8080/auth/enterprise',
        ACCESS_TOKEN_AUDIENCE: 'http://localhost:8080/payments/v1',
        PSP_API_URL: `http://127.0.0.1:${notificationsPort}`,
        PSP_SECRET_KEY: 'sk_test_bench_0000000000000000',
        PSP_PUBLISHABLE_KEY: 'pk_test_bench_0000000000000000',
      }),
      paymentsUrl,
    ),
    services.start(
      'gateway',
      'services/gateway/dist/main.js',
      serviceEnv('gateway', gatewayPort, {
        PAYMENTS_URL: paymentsUrl,
        // Closed ports: these upstreams are not exercised.
        IDENTITY_URL: `http://127.0.0.1:${identityPort}`,
        NOTIFICATIONS_URL: `http://127.0.0.1:${notificationsPort}`,
      }),
      gatewayUrl,
    ),
  ]).catch((error) => {
    throw fail(error.message);
  });

  // The same request both ways must get the same answer, or the comparison means nothing.
  const probe = async (base) => {
    const response = await fetch(`${base}${settings.path}`, { signal: AbortSignal.timeout(5_000) });
    const body = await response.text();
    return { status: response.status, type: response.headers.get('content-type'), bytes: Buffer.byteLength(body) };
  };
  const [directProbe, gatewayProbe] = [await probe(paymentsUrl), await probe(gatewayUrl)];
  if (directProbe.status !== gatewayProbe.status || gatewayProbe.status === 502 || gatewayProbe.status === 504) {
    throw fail(`GET ${settings.path} answered ${directProbe.status} directly but ${gatewayProbe.status} through the gateway; nothing to compare.`);
  }
  if (directProbe.status === 404) log(`Note: GET ${settings.path} is a 404 in payments (no route): this measures the not-found path.`);
  log(`GET ${settings.path} → ${directProbe.status} ${directProbe.type} (${directProbe.bytes} bytes), the same through the gateway.`);

  const pids = Object.fromEntries(services.children.map((child) => [child.benchName, child.pid]));
  const load = { connections: settings.connections, expectedStatus: directProbe.status, pids };
  const targets = { direct: `${paymentsUrl}${settings.path}`, gateway: `${gatewayUrl}${settings.path}` };

  if (settings.warmupS) {
    log(`Warming up (${settings.warmupS} s each)...`);
    for (const target of ['direct', 'gateway']) if (!interrupted) await measure(target, targets[target], { ...load, durationS: settings.warmupS });
  }

  const runs = [];
  for (let round = 1; round <= settings.rounds && !interrupted; round++) {
    for (const target of ['direct', 'gateway']) {
      if (interrupted) break;
      const run = await measure(target, targets[target], { ...load, durationS: settings.durationS });
      runs.push({ round, ...run });
      const other = Number.isFinite(run.otherCpuPct) ? `   other processes ${fmt(run.otherCpuPct, 0)} % CPU` : '';
      log(`  round ${round} ${pad(target, 8, true)} ${pad(fmtInt(run.rps), 8)} req/s   p50 ${fmt(run.p50)} ms   p99 ${fmt(run.p99)} ms${other}`);
    }
  }

  // Latency is judged at half the gateway's capacity, the same paced load both ways: at saturation
  // p50 is queueing (≈ connections ÷ throughput), not what the hop adds.
  const unloadedRuns = [];
  const pacedRate = Math.max(1, Math.round(median(runs.filter((r) => r.target === 'gateway').map((r) => r.rps)) * 0.5));
  if (settings.unloadedS) {
    log(`Paced latency (${fmtInt(pacedRate)} req/s both ways, half the gateway's capacity, ${settings.unloadedS} s each)...`);
    for (let round = 1; round <= settings.rounds && !interrupted; round++) {
      for (const target of ['direct', 'gateway']) {
        if (interrupted) break;
        unloadedRuns.push({ round, ...(await measure(target, targets[target], { ...load, overallRate: pacedRate, durationS: settings.unloadedS })) });
      }
    }
  }
  if (interrupted) return;

  const direct = summarise(runs.filter((r) => r.target === 'direct'));
  const viaGateway = summarise(runs.filter((r) => r.target === 'gateway'));
  const ratioPct = (viaGateway.rps / direct.rps) * 100;
  const addedP50Ms = viaGateway.p50 - direct.p50;
  let unloaded;
  if (unloadedRuns.length) {
    const u = { direct: summarise(unloadedRuns.filter((r) => r.target === 'direct')), gateway: summarise(unloadedRuns.filter((r) => r.target === 'gateway')) };
    unloaded = { ...u, rate: pacedRate, addedP50Ms: u.gateway.p50 - u.direct.p50 };
  }
  const summary = {
    status: directProbe.status,
    direct,
    gateway: viaGateway,
    ratioPct,
    addedP50Ms,
    targets: {
      ratio: { targetPct: TARGET_RATIO_PCT, pass: ratioPct >= TARGET_RATIO_PCT },
      addedP50: { targetMs: TARGET_ADDED_P50_MS, measuredAt: unloaded ? 'paced' : 'saturation', pass: (unloaded?.addedP50Ms ?? addedP50Ms) < TARGET_ADDED_P50_MS },
    },
    unloaded,
  };
  printTable(summary);

  mkdirSync(resultsDir, { recursive: true });
  const report = {
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model,
      memoryGb: Math.round(totalmem() / 2 ** 30),
      loadavgAtEnd: loadavg(),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      nodeEnv: process.env.NODE_ENV ?? null,
    },
    settings: { ...settings, request: `GET ${settings.path}`, response: directProbe },
    summary,
    runs,
    unloadedRuns,
    elapsedS: Math.round((Date.now() - started) / 1000),
  };
  const file = join(resultsDir, 'latest.json');
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  log(`\nFigures written to ${relative(root, file)}.`);
  if (settings.cpuProf) log(`CPU profiles are written to ${relative(root, profileDir)} when the services stop.`);
}

// Ctrl-C / SIGTERM: stop the load, stop the services, leave.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    // Again: leave at once (the services are killed as this process exits).
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write(`\n${signal}: stopping the load and the services... (again to force)\n`);
    current?.stop();
    void services.stopAll().then(() => process.exit(130));
  });
}

// The whole run is bounded: migrations, start-up, warm-ups, rounds, unloaded runs and shutdown, plus a margin.
const budgetS =
  60 + 30 + 2 * settings.warmupS + settings.rounds * 2 * (settings.durationS + 2) + settings.rounds * 2 * (settings.unloadedS + 2) + 15 + 60;
const watchdog = setTimeout(() => {
  process.stderr.write(`\nThe bench did not finish within its ${budgetS} s budget; stopping.\n`);
  current?.stop();
  void services.stopAll().then(() => process.exit(1));
}, budgetS * 1000);
watchdog.unref();

let exitCode = 0;
try {
  await main();
} catch (error) {
  exitCode = error?.exitCode ?? 1;
  if (!interrupted) process.stderr.write(`\n${error?.plain ? error.message : (error?.stack ?? String(error))}\n`);
} finally {
  if (!interrupted) {
    await services.stopAll();
    clearTimeout(watchdog);
  }
}
if (!interrupted) process.exit(exitCode);
