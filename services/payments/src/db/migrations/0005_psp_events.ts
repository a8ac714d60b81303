import type { Migration } from '@tamkeen/db';

/**
 * The PSP's webhooks and the disputes they bring.
 *
 * `psp_events`: every PSP event handled, by the PSP's event id: an event delivered again (the PSP
 * retries until it is answered 2xx, and may send one twice) is found here and answered without
 * being handled again. The effects are idempotent besides (race-safe transitions, one journal
 * entry per source), so two copies racing still do one thing.
 *
 * `disputes`: one per PSP dispute (a chargeback or an inquiry on a payment), its status as the PSP
 * last said it, never moved backwards; `dispute_events`: its append-only history (what each PSP
 * event or evidence call moved it from and to).
 */
export const pspEvents: Migration = {
  name: '0005_psp_events',
  async up(knex) {
    await knex.schema.createTable('psp_events', (t) => {
      t.text('id').primary();
      t.text('type').notNullable();
      // The PSP's `created` (when the event happened there).
      t.timestamp('created', { useTz: true }).notNullable();
      // What handling it came to: applied, ignored (not ours, or an object we do not follow).
      t.text('outcome').notNullable();
      t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    });

    await knex.schema.createTable('disputes', (t) => {
      t.uuid('id').primary();
      t.uuid('payment_id').notNullable().references('id').inTable('payments');
      t.text('organisation_id').notNullable();
      t.text('psp_dispute_id').notNullable().unique();
      t.bigInteger('amount').notNullable();
      t.text('currency').notNullable();
      t.text('reason').notNullable();
      t.text('status').notNullable();
      t.timestamp('evidence_due_by', { useTz: true });
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.index(['organisation_id', 'created_at', 'id'], 'disputes_by_organisation');
      t.index(['payment_id']);
    });
    await knex.raw(`alter table disputes add constraint disputes_amount check (amount > 0)`);
    await knex.raw(
      `alter table disputes add constraint disputes_status check (status in ('needs_response', 'under_review', 'won', 'lost', 'warning_needs_response', 'warning_under_review', 'warning_closed'))`,
    );

    await knex.schema.createTable('dispute_events', (t) => {
      t.bigIncrements('id');
      t.uuid('dispute_id').notNullable().references('id').inTable('disputes');
      // The PSP event that brought the change; null for a change the evidence call's answer brought.
      t.text('psp_event_id');
      t.text('source').notNullable();
      t.text('from_status');
      t.text('to_status').notNullable();
      t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.index(['dispute_id', 'id']);
    });
    // The history is append-only: a change is a new row, never an edit.
    await knex.raw(`
      create function dispute_events_append_only() returns trigger language plpgsql as $$
      begin
        raise exception 'dispute_events are append-only: % refused', tg_op;
      end $$;
      create trigger dispute_events_append_only before update or delete on dispute_events
        for each row execute function dispute_events_append_only();
    `);
  },
  async down(knex) {
    await knex.schema.dropTable('dispute_events');
    await knex.raw('drop function if exists dispute_events_append_only()');
    await knex.schema.dropTable('disputes');
    await knex.schema.dropTable('psp_events');
  },
};
