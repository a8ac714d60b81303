import type { Migration } from '@tamkeen/db';

/**
 * A ministry's payment settings (GOV.UK Pay's per-account "service name"): the name the payment
 * page shows for it, in Arabic and English, and per currency the amount above which the citizen
 * must log in at `urn:tamkeen:loa:substantial` before paying (none: no login for that currency).
 * One row per organisation; no row: the page shows the organisation's id and asks for no login.
 * Thresholds are minor units, 0 or more (0: every payment in that currency needs a login).
 */
export const paymentSettings: Migration = {
  name: '0008_payment_settings',
  async up(knex) {
    await knex.schema.createTable('payment_settings', (t) => {
      t.text('organisation_id').primary();
      t.text('service_name_ar').notNullable();
      t.text('service_name_en').notNullable();
      t.bigInteger('login_required_above_ils');
      t.bigInteger('login_required_above_usd');
      t.bigInteger('login_required_above_jod');
      // The machine client that last set them.
      t.text('updated_by').notNullable();
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    });
    await knex.raw(`alter table payment_settings add constraint payment_settings_names check (length(btrim(service_name_ar)) between 1 and 100 and length(btrim(service_name_en)) between 1 and 100)`);
    await knex.raw(
      `alter table payment_settings add constraint payment_settings_thresholds check (coalesce(login_required_above_ils, 0) >= 0 and coalesce(login_required_above_usd, 0) >= 0 and coalesce(login_required_above_jod, 0) >= 0)`,
    );
  },
  async down(knex) {
    await knex.schema.dropTable('payment_settings');
  },
};
