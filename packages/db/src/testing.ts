import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import pg from 'pg';
import { createKnex, withDatabase } from './connection.js';
import { dropDatabase, ensureDatabase } from './ensure-database.js';
import { migrateLatest, type Migration } from './migrations.js';
import { closeRedis, createRedis } from './redis.js';
import type { Redis } from 'ioredis';

export interface TestDatabase {
  /** postgres://... of the fresh database, for code that opens its own connections. */
  url: string;
  knex: Knex;
  /** Closes the pool and drops the database. Call it in afterAll. */
  drop(): Promise<void>;
}

/** The server tests use: TEST_DATABASE_URL, else DATABASE_URL, else the local default. */
export function testServerUrl(): string {
  return process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

/**
 * The name of a test database: `test_<label>_<pid>_<random>`. The label says which test file made
 * it; the pid lets `dropAbandonedTestDatabases` tell a leftover of an interrupted run from a
 * database another run is still using.
 */
export function testDatabaseName(label: string): string {
  const safeLabel = label.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 30);
  return `test_${safeLabel}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

const TEST_DATABASE = /^test_.*_(\d+)_[0-9a-f]{8}$/;

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Drops the test databases whose process is gone (a run stopped with Ctrl-C leaves them). */
export async function dropAbandonedTestDatabases(serverUrl = testServerUrl()): Promise<string[]> {
  const client = new pg.Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  await client.connect();
  let abandoned: string[];
  try {
    const { rows } = await client.query<{ datname: string }>("select datname from pg_database where datname like 'test\\_%'");
    abandoned = rows.map((r) => r.datname).filter((name) => {
      const match = TEST_DATABASE.exec(name);
      return match !== null && !isRunning(Number(match[1]));
    });
  } finally {
    await client.end();
  }
  for (const name of abandoned) await dropDatabase(withDatabase(serverUrl, name));
  return abandoned;
}

/** A fresh, migrated database for one test file; see testDatabaseName. */
export async function createTestDatabase(label: string, migrations: readonly Migration[] = []): Promise<TestDatabase> {
  const url = withDatabase(testServerUrl(), testDatabaseName(label));
  await ensureDatabase(url);
  const knex = createKnex(url, { pool: { min: 0, max: 5 } });
  try {
    await migrateLatest(knex, migrations);
  } catch (error) {
    await knex.destroy();
    await dropDatabase(url);
    throw error;
  }
  return {
    url,
    knex,
    async drop() {
      await knex.destroy();
      await dropDatabase(url);
    },
  };
}

export interface TestStores {
  db: TestDatabase;
  knex: Knex;
  redis: Redis;
  /** Closes Redis and drops the database. */
  close(): Promise<void>;
}

/** A fresh migrated database and a Redis client, as a service's createApp takes them. */
export async function openTestStores(label: string, migrations: readonly Migration[] = []): Promise<TestStores> {
  const db = await createTestDatabase(label, migrations);
  const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', `test:${label}`);
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  return {
    db,
    knex: db.knex,
    redis,
    async close() {
      await closeRedis(redis);
      await db.drop();
    },
  };
}
