import type { Migration } from '@tamkeen/db';

/** Per-organisation overrides of the sending rate limit (RATE_LIMIT_PER_MINUTE otherwise). */
export const organisationLimits: Migration = {
  name: '0005_organisation_limits',
  async up(knex) {
    await knex.schema.createTable('organisation_limits', (t) => {
      t.text('organisation_id').primary();
      t.integer('per_minute').notNullable();
      t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    });
    await knex.raw('alter table organisation_limits add constraint organisation_limits_positive check (per_minute > 0)');
  },
  async down(knex) {
    await knex.schema.dropTable('organisation_limits');
  },
};
