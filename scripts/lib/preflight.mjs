// Are PostgreSQL and Redis there? If not, say so and how to start them, instead of a stack trace.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { root } from './workspace.mjs';

const require = createRequire(join(root, 'packages', 'db', 'package.json'));

export const defaultDatabaseUrl = 'postgres://postgres@127.0.0.1:5432/postgres';
export const defaultRedisUrl = 'redis://127.0.0.1:6379';

function where(url) {
  const { hostname, port, protocol } = new URL(url);
  return `${hostname}:${port || (protocol.startsWith('redis') ? 6379 : 5432)}`;
}

function reason(error) {
  const code = error?.code ?? error?.errors?.[0]?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (code === 'ETIMEDOUT') return 'no answer';
  return String(error?.message ?? error).replace(/\w+:\/\/\S+/g, '[url]');
}

async function checkPostgres(url) {
  const pg = require('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (error) {
    return reason(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkRedis(url) {
  const { Redis } = require('ioredis');
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  let connectionError;
  redis.on('error', (error) => (connectionError ??= error));
  try {
    await redis.connect();
    await redis.ping();
    return undefined;
  } catch (error) {
    return reason(connectionError ?? error);
  } finally {
    if (redis.status !== 'end') redis.disconnect();
  }
}

/** Exits with a message that says what is missing and how to start it (and runs `beforeExit` first). */
export async function requireStores(databaseUrl, redisUrl, beforeExit = () => undefined) {
  const [postgres, redis] = await Promise.all([checkPostgres(databaseUrl), checkRedis(redisUrl)]);
  if (!postgres && !redis) return;
  const lines = [];
  if (postgres) lines.push(`PostgreSQL at ${where(databaseUrl)} cannot be used (${postgres}).`);
  if (redis) lines.push(`Redis at ${where(redisUrl)} cannot be used (${redis}).`);
  lines.push(
    '',
    'Tamkeen needs PostgreSQL (16 or later; 15 works) and Redis (7). Start them with one of:',
    '  docker compose up -d postgres redis',
    '  sudo apt-get install -y postgresql redis-server && sudo service postgresql start && sudo service redis-server start',
    'or point Tamkeen at servers you already run:',
    '  DATABASE_URL=postgres://user:password@host:5432/postgres REDIS_URL=redis://host:6379 npm start',
    '(DATABASE_URL names the server and a database to connect to; each service gets its own database, tamkeen_<service>.)',
  );
  process.stderr.write(`\n${lines.join('\n')}\n\n`);
  beforeExit();
  process.exit(1);
}
