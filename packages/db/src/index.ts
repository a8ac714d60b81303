export { createKnex, databaseNameOf, withDatabase, type Knex, type KnexOptions } from './connection.js';
export { dropDatabase, ensureDatabase, quoteIdentifier } from './ensure-database.js';
export { migrateLatest, pendingMigrations, rollbackAll, type Migration, type MigrationResult } from './migrations.js';
export { prepareDatabase, type PreparedDatabase } from './prepare.js';
export { closeRedis, createRedis, pingRedis, type Redis } from './redis.js';
export { openStores, storeChecks, type StoreLogger, type Stores } from './stores.js';
export { runMigrateCommand } from './migrate-command.js';
export { batched, type BatchOptions } from './batched.js';
export { tokenBucket, type TokenBucket, type Turn } from './token-bucket.js';
