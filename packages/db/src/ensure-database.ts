import pg from 'pg';
import { databaseNameOf, withDatabase } from './connection.js';

const DUPLICATE_DATABASE = '42P04';
const UNIQUE_VIOLATION = '23505';

/**
 * Creates the database that `databaseUrl` names if it does not exist yet. Safe when several
 * instances start at once: the loser of the race sees "already exists" and carries on.
 */
export async function ensureDatabase(databaseUrl: string, maintenanceDatabase = 'postgres'): Promise<'created' | 'existed'> {
  const name = databaseNameOf(databaseUrl);
  const client = new pg.Client({ connectionString: withDatabase(databaseUrl, maintenanceDatabase) });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount) return 'existed';
    try {
      await client.query(`create database ${quoteIdentifier(name)}`);
      return 'created';
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === DUPLICATE_DATABASE || code === UNIQUE_VIOLATION) return 'existed';
      throw error;
    }
  } finally {
    await client.end();
  }
}

/** Drops the database, closing whatever connections still hold it. */
export async function dropDatabase(databaseUrl: string, maintenanceDatabase = 'postgres'): Promise<void> {
  const name = databaseNameOf(databaseUrl);
  const client = new pg.Client({ connectionString: withDatabase(databaseUrl, maintenanceDatabase) });
  await client.connect();
  try {
    await client.query(`drop database if exists ${quoteIdentifier(name)} with (force)`);
  } finally {
    await client.end();
  }
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
