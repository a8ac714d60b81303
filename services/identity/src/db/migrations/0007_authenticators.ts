import type { Migration } from '@tamkeen/db';

/**
 * Authenticator apps (TOTP, RFC 6238), for citizens and enterprise users alike: one `active` per
 * subject (an account id) and at most one `pending` being set up, by one login attempt (`attempt`:
 * the interaction; another attempt starts over with a new secret, so a secret seen and left
 * unconfirmed is never the one that gets linked). The secret is kept encrypted
 * (AES-256-GCM under AUTHENTICATOR_KEYS); `last_time_step` is the last code accepted, so no code
 * is accepted twice. The unused `citizen_accounts.totp_secret` column goes: this is the one place.
 */
export const authenticators: Migration = {
  name: '0007_authenticators',
  async up(knex) {
    await knex.schema.createTable('authenticators', (t) => {
      t.text('subject').notNullable();
      t.text('state').notNullable().checkIn(['pending', 'active']);
      t.text('secret_sealed').notNullable();
      t.text('attempt');
      t.bigInteger('last_time_step');
      t.integer('wrong_tries').notNullable().defaultTo(0);
      t.timestamp('locked_until', { useTz: true });
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      t.timestamp('confirmed_at', { useTz: true });
      t.primary(['subject', 'state']);
    });
    await knex.schema.alterTable('citizen_accounts', (t) => t.dropColumn('totp_secret'));
  },
  async down(knex) {
    await knex.schema.alterTable('citizen_accounts', (t) => t.text('totp_secret'));
    await knex.schema.dropTable('authenticators');
  },
};
