import type { Knex } from '@tamkeen/db';
import { rowOf } from '../register/citizen.js';
import { DEMO_CITIZENS } from './demo-citizens.js';
import { syntheticCitizen } from './synthetic-citizens.js';

/**
 * Fills an empty register: the demo citizens and `synthetic` generated ones (the same every time
 * for the same seed). A register that holds anyone is left as it is, so it is safe to run at every
 * start. Returns how many citizens were added.
 */
export async function seedRegister(knex: Knex, { synthetic, seed = 1 }: { synthetic: number; seed?: number }): Promise<number> {
  return knex.transaction(async (trx) => {
    // One seeder at a time (several instances may start together).
    await trx.raw('select pg_advisory_xact_lock(hashtext(?))', ['registry seed']);
    if (await trx('citizens').first('national_id')) return 0;
    await trx.batchInsert('citizens', DEMO_CITIZENS.map(rowOf), 1000);
    for (let start = 0; start < synthetic; start += 2000) {
      const rows = Array.from({ length: Math.min(2000, synthetic - start) }, (_, i) => rowOf(syntheticCitizen(start + i, seed)));
      await trx('citizens').insert(rows);
    }
    return DEMO_CITIZENS.length + synthetic;
  });
}
