import { createKnex } from './connection.js';
import { ensureDatabase } from './ensure-database.js';
import { migrateLatest, type Migration, type MigrationResult } from './migrations.js';

export interface PreparedDatabase extends MigrationResult {
  database: 'created' | 'existed';
}

/** What a service's `migrate` entry point does: create its database if missing, then migrate it. */
export async function prepareDatabase(databaseUrl: string, migrations: readonly Migration[]): Promise<PreparedDatabase> {
  const database = await ensureDatabase(databaseUrl);
  const knex = createKnex(databaseUrl, { pool: { min: 0, max: 1 } });
  try {
    const { applied } = await migrateLatest(knex, migrations);
    return { database, applied };
  } finally {
    await knex.destroy();
  }
}
