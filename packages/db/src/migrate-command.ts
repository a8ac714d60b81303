import { prepareDatabase } from './prepare.js';
import type { Migration } from './migrations.js';

/**
 * A service's `migrate` entry point: creates its database if missing and applies pending migrations.
 * Run before the service starts (npm start does; in Kubernetes, an init container).
 */
export async function runMigrateCommand(service: string, migrations: readonly Migration[], env: Record<string, string | undefined> = process.env): Promise<void> {
  const databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) {
    process.stderr.write(`${service} migrate: DATABASE_URL is required but not set\n`);
    process.exit(78);
  }
  try {
    const { database, applied } = await prepareDatabase(databaseUrl, migrations);
    const what = applied.length ? `applied ${applied.join(', ')}` : 'already up to date';
    process.stdout.write(`${JSON.stringify({ service, level: 'info', msg: `database ${database}; migrations ${what}` })}\n`);
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string };
    process.stderr.write(`${service} migrate failed: ${code ? `${code} ` : ''}${message ?? String(error)}\n`);
    process.exit(1);
  }
}
