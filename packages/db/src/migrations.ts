import type { Knex } from 'knex';
import pg from 'pg';

/** One schema change. Its name orders it and is recorded once applied; never rename or edit an applied one. */
export interface Migration {
  name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/**
 * Migrations are listed in code (not read from a folder at run time), so the same list runs from
 * TypeScript in tests, from the build, and inside a container image.
 */
class ListedMigrations implements Knex.MigrationSource<Migration> {
  constructor(private readonly migrations: readonly Migration[]) {
    const names = migrations.map((m) => m.name);
    const sorted = [...names].sort();
    if (names.some((name, i) => name !== sorted[i])) throw new Error(`migrations must be listed in name order: ${names.join(', ')}`);
    if (new Set(names).size !== names.length) throw new Error(`two migrations share a name: ${names.join(', ')}`);
  }
  async getMigrations() {
    return [...this.migrations];
  }
  getMigrationName(migration: Migration) {
    return migration.name;
  }
  async getMigration(migration: Migration) {
    return { up: migration.up, down: migration.down };
  }
}

export interface MigrationResult {
  applied: string[];
}

// Any constant works; it only has to be the same for every runner of every service.
const MIGRATION_LOCK_KEY = 7_263_571;

/**
 * Applies every pending migration. Runners on the same database take turns on a PostgreSQL
 * advisory lock, because knex's own lock table cannot itself be created safely by two at once;
 * so N instances can start together.
 */
export async function migrateLatest(knex: Knex, migrations: readonly Migration[]): Promise<MigrationResult> {
  const lock = new pg.Client(connectionOf(knex));
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const [, applied] = (await knex.migrate.latest({ migrationSource: new ListedMigrations(migrations) })) as [number, string[]];
    return { applied };
  } finally {
    await lock.end();
  }
}

function connectionOf(knex: Knex): pg.ClientConfig {
  return (knex.client as { config: { connection: pg.ClientConfig } }).config.connection;
}

export async function rollbackAll(knex: Knex, migrations: readonly Migration[]): Promise<void> {
  await knex.migrate.rollback({ migrationSource: new ListedMigrations(migrations) }, true);
}

export async function pendingMigrations(knex: Knex, migrations: readonly Migration[]): Promise<string[]> {
  const [, pending] = (await knex.migrate.list({ migrationSource: new ListedMigrations(migrations) })) as [unknown[], Array<{ name?: string } | string>];
  return pending.map((m) => (typeof m === 'string' ? m : String(m.name)));
}
