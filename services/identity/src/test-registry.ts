import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@tamkeen/db/testing';
import { freePort, runBuiltFile, startBuiltService } from '@tamkeen/testing';

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
  try {
    await runBuiltFile(registryDist('migrate.js'), [], env);
    const port = await freePort();
    const registry = await startBuiltService({
      name: 'the registry',
      file: registryDist('main.js'),
      env: {
        ...env,
        HOST: '127.0.0.1',
        PORT: String(port),
        REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        REDIS_PREFIX: `test-registry-${process.pid}-${port}`,
        X_ROAD_MEMBERS: JSON.stringify([{ client, jwks_uri: jwksUri, services: ['verify', 'citizens'] }]),
      },
      healthUrl: `http://127.0.0.1:${port}`,
      timeoutMs: 15_000,
    });
    return { url: registry.url, stop: async () => (await registry.stop(), await db.drop()) };
  } catch (error) {
    await db.drop();
    throw error;
  }
}
