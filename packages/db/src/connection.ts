import knex, { type Knex } from 'knex';

export type { Knex };

export interface KnexOptions {
  /** Connections kept open by this process. */
  pool?: { min?: number; max?: number };
  /** How long a query may wait for a free connection. */
  acquireTimeoutMs?: number;
}

/** A knex instance on one PostgreSQL database. The caller owns it and must `destroy()` it. */
export function createKnex(databaseUrl: string, options: KnexOptions = {}): Knex {
  return knex({
    client: 'pg',
    connection: { connectionString: databaseUrl, application_name: applicationName(databaseUrl) },
    pool: { min: options.pool?.min ?? 0, max: options.pool?.max ?? 10 },
    acquireConnectionTimeout: options.acquireTimeoutMs ?? 10_000,
  });
}

function applicationName(databaseUrl: string): string {
  return `tamkeen:${databaseNameOf(databaseUrl)}`;
}

export function databaseNameOf(databaseUrl: string): string {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ''));
  if (!name) throw new Error('the database URL names no database (expected postgres://host:port/<name>)');
  return name;
}

/** The same server, another database: used to reach `postgres` for CREATE/DROP DATABASE. */
export function withDatabase(databaseUrl: string, database: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}
