import type { Migration } from '@tamkeen/db';

/**
 * The gateway's audit log: append-only, each row chained to the previous one by hash so that an
 * edit or a deletion is detectable. Rows are written by later features (admin actions, key use).
 */
export const auditLog: Migration = {
  name: '0001_audit_log',
  async up(knex) {
    await knex.schema.createTable('audit_log', (t) => {
      t.bigIncrements('seq').primary();
      t.timestamp('occurred_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.text('request_id');
      t.text('actor').notNullable();
      t.text('action').notNullable();
      t.text('target');
      t.jsonb('details').notNullable().defaultTo('{}');
      t.specificType('prev_hash', 'bytea').notNullable();
      t.specificType('hash', 'bytea').notNullable().unique();
    });
    // Append-only: the table refuses updates and deletes.
    await knex.raw(`
      create function audit_log_append_only() returns trigger language plpgsql as $$
      begin
        raise exception 'audit_log is append-only';
      end $$;
      create trigger audit_log_no_change before update or delete on audit_log
        for each row execute function audit_log_append_only();
      create trigger audit_log_no_truncate before truncate on audit_log
        for each statement execute function audit_log_append_only();
    `);
  },
  async down(knex) {
    await knex.schema.dropTable('audit_log');
    await knex.raw('drop function if exists audit_log_append_only()');
  },
};
