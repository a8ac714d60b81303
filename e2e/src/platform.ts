import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@tamkeen/db/testing';
import { freePort, runBuiltFile, startBuiltService, waitFor, type BuiltService } from '@tamkeen/testing';
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
  const running: BuiltService[] = [];
  const distOf = (service: (typeof services)[number], file: string) => join(root, 'services', entryOf(service).dir, 'dist', file);
  const runFile = (service: (typeof services)[number], file: string, args: string[] = []) => runBuiltFile(distOf(service, file), args, envOf(service));
  const stop = async () => {
    await Promise.all(running.map((service) => service.stop()));
    for (const db of databases.values()) await db.drop();
  };

  try {
    for (const service of services.filter((s) => s.database && !s.dir)) await runFile(service, 'migrate.js');
    for (const service of services) {
      const health = service.port === null ? `http://127.0.0.1:${ports['worker-metrics']}` : `http://127.0.0.1:${ports[service.name]}`;
      running.push(await startBuiltService({ name: service.name, file: distOf(service, entryOf(service).entry), env: envOf(service), healthUrl: health, stdio: ['ignore', 'ignore', 'pipe'] }));
    }
    // Each service answers on its own; the tests go through the gateway: wait until it finds every upstream ready.
    await waitFor(async () => (await fetch(`${gateway}/readyz`).catch(() => undefined))?.status === 200, { what: 'the gateway to find every service ready', timeoutMs: 30_000, intervalMs: 100 });
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
