import { webhookEndpoints, type Knex } from '@tamkeen/db';
import { requireScope, webhookEndpointRoutes, type AccessTokenVerifier } from '@tamkeen/http-kit';
import type { IRouter } from 'express';
import { z } from 'zod';

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
  webhookEndpointRoutes(router, '/notifications/v1/webhook', {
    guard: requireScope(verify, 'notifications:send'),
    input: webhookInput,
    store: webhookEndpoints(knex, 'organisation_webhooks'),
  });
}
