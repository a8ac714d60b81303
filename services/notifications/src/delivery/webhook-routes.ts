import type { Knex } from '@tamkeen/db';
import { callerOf, NotFound, requireScope, resource, validate, type AccessTokenVerifier } from '@tamkeen/http-kit';
import type { IRouter } from 'express';
import { z } from 'zod';
import { newWebhookSecret } from './webhooks.js';

const webhookInput = z
  .object({
    url: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).max(2_000),
  })
  .strict();

/**
 * The organisation's status webhook: PUT sets the URL and issues a new signing secret (shown only
 * in that answer), GET shows the URL, DELETE stops the posts.
 */
export function webhookRoutes(router: IRouter, knex: Knex, verify: AccessTokenVerifier): void {
  const manage = requireScope(verify, 'notifications:send');
  resource(router, '/notifications/v1/webhook', {
    put: [
      manage,
      async (req, res) => {
        const { url } = validate(webhookInput, req.body);
        const organisationId = callerOf(res).organisationId;
        const secret = newWebhookSecret();
        await knex('organisation_webhooks')
          .insert({ organisation_id: organisationId, url, secret })
          .onConflict('organisation_id')
          .merge({ url, secret, updated_at: knex.fn.now() });
        res.json({ url, secret });
      },
    ],
    get: [
      manage,
      async (_req, res) => {
        const row = await knex('organisation_webhooks').where({ organisation_id: callerOf(res).organisationId }).first<{ url: string } | undefined>('url');
        if (!row) throw new NotFound('Your organisation has no webhook.');
        res.json({ url: row.url });
      },
    ],
    delete: [
      manage,
      async (_req, res) => {
        await knex('organisation_webhooks').where({ organisation_id: callerOf(res).organisationId }).delete();
        res.status(204).end();
      },
    ],
  });
}
