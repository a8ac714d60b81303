import { afterAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createKnex, dropDatabase, ensureDatabase, migrateLatest, pendingMigrations, prepareDatabase, withDatabase, type Migration } from './index.js';
import { createTestDatabase, dropAbandonedTestDatabases, testDatabaseName, testServerUrl } from './testing.js';

const notes: Migration = {
  name: '0001_notes',
  up: (knex) => knex.schema.createTable('notes', (t) => {
    t.bigIncrements('id');
    t.text('body').notNullable();
  }),
  down: (knex) => knex.schema.dropTable('notes'),
};
const notesAuthor: Migration = {
  name: '0002_notes_author',
  up: (knex) => knex.schema.alterTable('notes', (t) => t.text('author')),
  down: (knex) => knex.schema.alterTable('notes', (t) => t.dropColumn('author')),
};

async function databaseExists(name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: withDatabase(testServerUrl(), 'postgres') });
  await client.connect();
  try {
    return Boolean((await client.query('select 1 from pg_database where datname = $1', [name])).rowCount);
  } finally {
    await client.end();
  }
}

const created: string[] = [];
function scratchUrl(): string {
  const url = withDatabase(testServerUrl(), testDatabaseName('db scratch'));
  created.push(url);
  return url;
}
afterAll(async () => {
  await Promise.all(created.map((url) => dropDatabase(url)));
});

describe('ensureDatabase', () => {
  it('creates a missing database once, even when several instances race', async () => {
    const url = scratchUrl();
    const outcomes = await Promise.all([ensureDatabase(url), ensureDatabase(url), ensureDatabase(url)]);
    expect(outcomes.filter((o) => o === 'created')).toHaveLength(1);
    expect(await ensureDatabase(url)).toBe('existed');
  });
});

describe('prepareDatabase', () => {
  it('creates the database and applies each migration exactly once', async () => {
    const url = scratchUrl();
    expect(await prepareDatabase(url, [notes])).toEqual({ database: 'created', applied: ['0001_notes'] });
    expect(await prepareDatabase(url, [notes, notesAuthor])).toEqual({ database: 'existed', applied: ['0002_notes_author'] });
    expect(await prepareDatabase(url, [notes, notesAuthor])).toEqual({ database: 'existed', applied: [] });

    const knex = createKnex(url);
    try {
      await knex('notes').insert({ body: 'hello', author: 'amal' });
      expect(await knex('notes').select('body', 'author')).toEqual([{ body: 'hello', author: 'amal' }]);
      expect(await pendingMigrations(knex, [notes, notesAuthor])).toEqual([]);
    } finally {
      await knex.destroy();
    }
  });

  it('refuses a list that is out of order, applying nothing', async () => {
    const url = scratchUrl();
    await expect(prepareDatabase(url, [notesAuthor, notes])).rejects.toThrow(/listed in name order/);
  });

  it('lets concurrent instances migrate the same database safely', async () => {
    const url = scratchUrl();
    await ensureDatabase(url);
    const knexes = [createKnex(url), createKnex(url)];
    try {
      const results = await Promise.all(knexes.map((k) => migrateLatest(k, [notes, notesAuthor])));
      expect(results.flatMap((r) => r.applied).sort()).toEqual(['0001_notes', '0002_notes_author']);
    } finally {
      await Promise.all(knexes.map((k) => k.destroy()));
    }
  });
});

describe('dropAbandonedTestDatabases', () => {
  it('drops what an interrupted run left, and nothing a running process still uses', async () => {
    // A pid far above any real one (Linux's pid_max is at most 4194304) stands for a process that is gone.
    const leftover = withDatabase(testServerUrl(), 'test_db_leftover_999999999_0badc0de');
    const live = scratchUrl();
    await Promise.all([ensureDatabase(leftover), ensureDatabase(live)]);
    const dropped = await dropAbandonedTestDatabases();
    expect(dropped).toContain('test_db_leftover_999999999_0badc0de');
    expect(await databaseExists('test_db_leftover_999999999_0badc0de')).toBe(false);
    expect(await databaseExists(new URL(live).pathname.slice(1))).toBe(true);
  });
});

describe('createTestDatabase', () => {
  it('gives a fresh migrated database and drops it afterwards', async () => {
    const db = await createTestDatabase('db package', [notes]);
    const name = new URL(db.url).pathname.slice(1);
    expect(name).toMatch(new RegExp(`^test_db_package_${process.pid}_[0-9a-f]{8}$`));
    await db.knex('notes').insert({ body: 'x' });
    expect(await db.knex('notes').count({ n: '*' })).toEqual([{ n: '1' }]);
    expect(await databaseExists(name)).toBe(true);
    await db.drop();
    expect(await databaseExists(name)).toBe(false);
  });
});
