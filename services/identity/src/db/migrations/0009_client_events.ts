import type { Migration } from '@tamkeen/db';

/**
 * The audit trail of organisations' clients: every creation, change, secret rotation and removal,
 * with who made it (a staff member's `sub` and organisation, or `operator` for the command line),
 * when, what changed (never a secret) and the request id. Append-only: the table refuses updates,
 * deletes and truncation. No foreign key to oidc_clients: a removed client's history stays.
 */
export const clientEvents: Migration = {
  name: '0009_client_events',
  async up(knex) {
    await knex.schema.createTable('client_events', (t) => {
      t.bigIncrements('id').primary();
      t.text('client_id').notNullable();
      t.text('organisation_id').notNullable();
      t.text('action').notNullable().checkIn(['created', 'updated', 'secret_rotated', 'deleted']);
      t.text('actor_sub').notNullable();
      t.text('actor_organisation_id');
      t.jsonb('changes').notNullable().defaultTo('{}');
      t.text('request_id');
      t.timestamp('occurred_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.index(['organisation_id', 'client_id', 'id'], 'client_events_client');
    });
    await knex.raw(`
      create function client_events_append_only() returns trigger language plpgsql as $$
      begin
        raise exception 'client_events is append-only';
      end $$;
      create trigger client_events_no_change before update or delete on client_events
        for each row execute function client_events_append_only();
      create trigger client_events_no_truncate before truncate on client_events
        for each statement execute function client_events_append_only();
    `);
  },
  async down(knex) {
    await knex.schema.dropTable('client_events');
    await knex.raw('drop function if exists client_events_append_only()');
  },
};
