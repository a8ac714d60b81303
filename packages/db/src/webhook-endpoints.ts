import type { Knex } from 'knex';

/**
 * Organisations' webhook endpoints in `table` (organisation_id primary key, url, secret,
 * updated_at): one per organisation, replaced when set again.
 */
export function webhookEndpoints(knex: Knex, table: string) {
  return {
    async save(organisationId: string, { url, secret }: { url: string; secret: string }): Promise<void> {
      await knex(table).insert({ organisation_id: organisationId, url, secret }).onConflict('organisation_id').merge({ url, secret, updated_at: knex.fn.now() });
    },
    async urlOf(organisationId: string): Promise<string | undefined> {
      const row = await knex(table).where({ organisation_id: organisationId }).first<{ url: string } | undefined>('url');
      return row?.url;
    },
    async remove(organisationId: string): Promise<void> {
      await knex(table).where({ organisation_id: organisationId }).delete();
    },
  };
}
