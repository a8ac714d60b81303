import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@tamkeen/db/testing';
import { freePort, waitFor } from '@tamkeen/testing';

export interface RunningRegistry {
  url: string;
  stop(): Promise<void>;
}

const registryDist = (file: string) => fileURLToPath(new URL(`../../registry/dist/${file}`, import.meta.url));

/**
 * The real registry service (its build) on a database of its own, seeded with the demo citizens
 * only, answering the member `client` whose keys are at `jwksUri`.
 */
export async function startRegistry({ client, jwksUri }: { client: string; jwksUri: string }): Promise<RunningRegistry> {
  const db: TestDatabase = await createTestDatabase('identity registry');
  const env = { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, REGISTRY_SEED_CITIZENS: '0' };
  await new Promise<void>((resolve, reject) =>
    spawn(process.execPath, [registryDist('migrate.js')], { env, stdio: 'ignore' }).once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`registry migrate exited ${code} (is it built?)`)))),
  );
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [registryDist('main.js')], {
    env: {
      ...env,
      HOST: '127.0.0.1',
      PORT: String(port),
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_PREFIX: `test-registry-${process.pid}-${port}`,
      X_ROAD_MEMBERS: JSON.stringify([{ client, jwks_uri: jwksUri, services: ['verify', 'citizens'] }]),
    },
    stdio: 'ignore',
  });
  // Never outlive the test process, even when a timed-out hook never calls stop().
  const orphanGuard = () => child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    process.off('exit', orphanGuard);
    if (child.exitCode === null) await new Promise<void>((resolve) => (child.once('exit', () => resolve()), child.kill('SIGTERM')));
    await db.drop();
  };
  try {
    await waitFor(async () => child.exitCode === null && (await fetch(`${url}/healthz`).catch(() => undefined))?.ok, { what: 'the registry to start', timeoutMs: 15_000 });
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}
