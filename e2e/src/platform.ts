import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@tamkeen/db/testing';
import { freePort, waitFor } from '@tamkeen/testing';
// The same list and wiring as npm start (one place for how the platform is put together).
import { entryOf, environmentFor, services } from '../../scripts/lib/services.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface RunningPlatform {
  /** The gateway: the platform's one public origin. */
  gateway: string;
  urls: Record<string, string>;
  /** Runs a built file of a service (an operator command) with that service's environment. */
  command(service: string, file: string, args: string[]): Promise<string>;
  stop(): Promise<void>;
}

/**
 * The whole platform from its build, as npm start runs it, but on free ports, databases of its own
 * (dropped at stop) and its own Redis key prefixes, so that it runs beside npm start and other tests.
 */
export async function startPlatform(label: string): Promise<RunningPlatform> {
  const ports: Record<string, number> = {};
  for (const name of [...services.filter((s) => s.port !== null).map((s) => s.name), 'smtp', 'worker-metrics']) ports[name] = await freePort();
  const gateway = `http://127.0.0.1:${ports.gateway}`;
  const databases = new Map<string, TestDatabase>();
  for (const service of services.filter((s) => s.database)) databases.set(service.name, await createTestDatabase(`${label} ${service.name}`));
  const databaseName = (name: string) => new URL(databases.get(name)!.url).pathname.slice(1);
  const prefix = `e2e-${process.pid}-${ports.gateway}`;
  const base = { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', REGISTRY_SEED_CITIZENS: '0', QUEUE_PREFIX: prefix, REDIS_PREFIX: prefix, SMS_STEP_DELAY_MS: '50' };
  const envOf = (service: (typeof services)[number]) =>
    environmentFor(service, { databaseUrl: databases.values().next().value!.url, redisUrl: 'redis://127.0.0.1:6379', ports, databaseName, publicUrl: gateway, base });
  const children: ChildProcess[] = [];
  const output: string[] = [];

  const runFile = (service: (typeof services)[number], file: string, args: string[] = []) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [join(root, 'services', entryOf(service).dir, 'dist', file), ...args], { env: envOf(service), stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${file} of ${service.name} exited ${code}: ${err.slice(0, 500)}`))));
    });

  // Never outlive the test process, even when a timed-out hook never calls stop().
  const orphanGuard = () => children.forEach((child) => child.kill('SIGKILL'));
  process.once('exit', orphanGuard);
  const stop = async () => {
    process.off('exit', orphanGuard);
    await Promise.all(children.map((child) => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', () => resolve()), child.kill('SIGTERM'))))));
    for (const db of databases.values()) await db.drop();
  };

  try {
    for (const service of services.filter((s) => s.database && !s.dir)) await runFile(service, 'migrate.js');
    for (const service of services) {
      const child = spawn(process.execPath, [join(root, 'services', entryOf(service).dir, 'dist', entryOf(service).entry)], { env: envOf(service), stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr!.on('data', (c: Buffer) => output.push(`${service.name}: ${c.toString()}`));
      children.push(child);
      const health = service.port === null ? `http://127.0.0.1:${ports['worker-metrics']}` : `http://127.0.0.1:${ports[service.name]}`;
      await waitFor(async () => child.exitCode === null && (await fetch(`${health}/healthz`).catch(() => undefined))?.ok, { what: `${service.name} to start (${output.join('').slice(-300)})`, timeoutMs: 20_000 });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    gateway,
    urls: Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, `http://127.0.0.1:${port}`])),
    command: (name, file, args) => runFile(services.find((s) => s.name === name)!, file, args),
    stop,
  };
}
