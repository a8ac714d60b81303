import type { Migration } from '@tamkeen/db';

/**
 * Templates belong to an organisation and are versioned: an edit adds a version, never changes
 * one, so a notification can always show the exact words it was sent with.
 */
export const templates: Migration = {
  name: '0002_templates',
  async up(knex) {
    await knex.schema.createTable('templates', (t) => {
      t.uuid('id').primary();
      t.text('organisation_id').notNullable();
      t.text('name').notNullable();
      t.text('type').notNullable();
      t.integer('current_version').notNullable();
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.unique(['organisation_id', 'name']);
    });
    await knex.raw(`alter table templates add constraint templates_type check (type in ('sms', 'email'))`);
    await knex.schema.createTable('template_versions', (t) => {
      t.uuid('template_id').notNullable().references('id').inTable('templates');
      t.integer('version').notNullable();
      t.text('body_ar').notNullable();
      t.text('body_en').notNullable();
      t.text('subject_ar');
      t.text('subject_en');
      t.text('created_by').notNullable();
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.primary(['template_id', 'version']);
    });
    await knex.schema.alterTable('notifications', (t) => {
      t.uuid('template_id').references('id').inTable('templates');
      t.integer('template_version');
    });
  },
  async down(knex) {
    await knex.schema.alterTable('notifications', (t) => {
      t.dropColumn('template_version');
      t.dropColumn('template_id');
    });
    await knex.schema.dropTable('template_versions');
    await knex.schema.dropTable('templates');
  },
};
