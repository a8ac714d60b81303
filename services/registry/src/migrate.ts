import { createKnex, runMigrateCommand } from '@tamkeen/db';
import { migrations } from './db/migrations/index.js';
import { seedRegister } from './seed/seed-register.js';

await runMigrateCommand('registry', migrations);

// An empty register is seeded: the demo citizens and REGISTRY_SEED_CITIZENS synthetic ones
// (100,000 unless set; 0 for the demo citizens alone). A register with anyone in it is left alone.
const synthetic = Number(process.env.REGISTRY_SEED_CITIZENS ?? 100_000);
if (!Number.isInteger(synthetic) || synthetic < 0) {
  process.stderr.write(`registry migrate: REGISTRY_SEED_CITIZENS must be a whole number ≥ 0 (got "${process.env.REGISTRY_SEED_CITIZENS}")\n`);
  process.exit(78);
}
const knex = createKnex(process.env.DATABASE_URL!);
try {
  const started = Date.now();
  const added = await seedRegister(knex, { synthetic });
  const msg = added ? `seeded the register with ${added} citizens in ${((Date.now() - started) / 1000).toFixed(1)} s` : 'the register already holds citizens; not seeded';
  process.stdout.write(`${JSON.stringify({ service: 'registry', level: 'info', msg })}\n`);
} finally {
  await knex.destroy();
}
