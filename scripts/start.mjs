#!/usr/bin/env node
// `npm start`: install if needed, build, create the databases, migrate, start every service in one
// terminal, and say where the platform is once it is ready. Ctrl-C stops everything.
//   npm start                    every service
//   npm start -- payments        one service alone (with its migrations)
//   npm start -- --migrate-only  create databases and migrate, then exit
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { pipeLines, prefixer } from './lib/log-lines.mjs';
import { defaultDatabaseUrl, defaultRedisUrl, requireStores } from './lib/preflight.mjs';
import { entryOf, environmentFor, services } from './lib/services.mjs';
import { build, ensureInstalled, root } from './lib/workspace.mjs';

const args = process.argv.slice(2);
const migrateOnly = args.includes('--migrate-only');
const names = args.filter((a) => !a.startsWith('--'));
const unknown = names.filter((n) => !services.some((s) => s.name === n));
if (unknown.length) {
  process.stderr.write(`Unknown service: ${unknown.join(', ')}. Services: ${services.map((s) => s.name).join(', ')}.\n`);
  process.exit(2);
}
const selected = names.length ? services.filter((s) => names.includes(s.name)) : services;

ensureInstalled();
build();

const stores = { databaseUrl: process.env.DATABASE_URL ?? defaultDatabaseUrl, redisUrl: process.env.REDIS_URL ?? defaultRedisUrl };
await requireStores(stores.databaseUrl, stores.redisUrl);

const children = new Map();
let stopping = false;
let startupFailure;

/** Resolves with the ports of `selected` that something else already listens on. */
async function portsInUse() {
  const busy = await Promise.all(
    selected.filter((service) => service.port !== null).map(
      (service) =>
        new Promise((resolve) => {
          const probe = createServer();
          probe.once('error', () => resolve(service));
          probe.listen(service.port, service.name === 'gateway' ? '0.0.0.0' : '127.0.0.1', () => probe.close(() => resolve(undefined)));
        }),
    ),
  );
  return busy.filter(Boolean);
}

function launch(service, index, entry) {
  const { dir } = entryOf(service);
  const child = spawn(process.execPath, [join(root, 'services', dir, 'dist', entry)], {
    cwd: join(root, 'services', dir),
    env: environmentFor(service, stores),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  pipeLines(child, prefixer(service.name, index));
  return child;
}

async function migrate() {
  const results = await Promise.all(
    selected
      .filter((s) => s.database)
      .map((service) => new Promise((resolve) => launch(service, services.indexOf(service), 'migrate.js').on('exit', (code) => resolve({ service, code })))),
  );
  const failed = results.filter((r) => r.code !== 0).map((r) => r.service.name);
  if (failed.length) {
    process.stderr.write(`\nMigrations failed for ${failed.join(', ')}; see above.\n`);
    process.exit(1);
  }
}

function startAll() {
  for (const service of selected) {
    const child = launch(service, services.indexOf(service), entryOf(service).entry);
    children.set(service.name, child);
    // 'close', not 'exit': the child's last log lines are read by then.
    child.on('close', (code, signal) => {
      children.delete(service.name);
      if (stopping) {
        if (children.size === 0) process.exit(0);
        return;
      }
      startupFailure ??= service.name;
      process.stderr.write(
        `\n${service.name} stopped (${signal ?? `exit code ${code}`}). The others keep running; ` +
          `restart it alone in another terminal with: npm start -- ${service.name}\n\n`,
      );
      if (children.size === 0) process.exit(code ?? 1);
    });
  }
}

function stop(signal) {
  if (stopping) {
    for (const child of children.values()) child.kill('SIGKILL');
    process.exit(130);
  }
  stopping = true;
  process.stdout.write(`\nStopping ${children.size} service(s)... (Ctrl-C again to force)\n`);
  if (children.size === 0) process.exit(0);
  for (const child of children.values()) child.kill(signal === 'SIGINT' ? 'SIGTERM' : signal);
  setTimeout(() => {
    for (const child of children.values()) child.kill('SIGKILL');
    process.exit(1);
  }, 15_000).unref();
}

async function isReady(service) {
  try {
    const response = await fetch(`http://127.0.0.1:${service.port}/readyz`, { signal: AbortSignal.timeout(2_000) });
    return response.ok;
  } catch {
    return false; // not listening yet
  }
}

/** Every started service answers its own /readyz, and none of them has exited meanwhile. */
async function waitUntilReady() {
  const deadline = Date.now() + 60_000;
  // Processes without a port (workers) are ready when they are running.
  const pending = new Set(selected.filter((s) => s.port !== null));
  while (Date.now() < deadline && !stopping && !startupFailure) {
    for (const service of pending) if (children.has(service.name) && (await isReady(service))) pending.delete(service);
    if (pending.size === 0) return { ready: true };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { ready: false, waitingFor: [...pending].map((s) => s.name) };
}

await migrate();
if (migrateOnly) {
  process.stdout.write('Databases created and migrated.\n');
  process.exit(0);
}
const busy = await portsInUse();
if (busy.length) {
  process.stderr.write(
    `\nThese ports are already in use: ${busy.map((s) => `${s.port} (${s.name})`).join(', ')}.\n` +
      'Is Tamkeen already running in another terminal? Stop it (Ctrl-C there), or stop whatever holds the ports.\n\n',
  );
  process.exit(1);
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
startAll();

const startup = await waitUntilReady();
if (startup.ready) {
  const gateway = selected.find((s) => s.name === 'gateway');
  const lines = gateway
    ? [`Tamkeen is ready at http://localhost:${gateway.port}`, `  health: curl http://localhost:${gateway.port}/readyz`]
    : [`${selected.map((s) => (s.port === null ? s.name : `${s.name} on http://localhost:${s.port}`)).join(', ')} ready`];
  process.stdout.write(`\n${lines.join('\n')}\n  Ctrl-C stops everything.\n\n`);
} else if (startupFailure) {
  process.stderr.write(`\nTamkeen is NOT ready: ${startupFailure} failed to start; the lines above say why. Ctrl-C stops the rest.\n`);
} else if (!stopping) {
  process.stderr.write(
    `\nTamkeen is NOT ready: ${startup.waitingFor.join(', ')} did not become ready within 60 s; the lines above say why. Ctrl-C stops everything.\n`,
  );
}
