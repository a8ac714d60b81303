import type { Migration } from '@tamkeen/db';

/** Where an organisation wants its notifications' status changes POSTed, and the secret that signs them. */
export const organisationWebhooks: Migration = {
  name: '0006_organisation_webhooks',
  async up(knex) {
    await knex.schema.createTable('organisation_webhooks', (t) => {
      t.text('organisation_id').primary();
      t.text('url').notNullable();
      t.text('secret').notNullable();
      t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    });
  },
  async down(knex) {
    await knex.schema.dropTable('organisation_webhooks');
  },
};
