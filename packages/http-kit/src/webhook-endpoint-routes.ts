import type { IRouter, RequestHandler } from 'express';
import type { ZodType } from 'zod';
import { callerOf } from './bearer-auth.js';
import { NotFound } from './errors.js';
import { resource } from './routes.js';
import { validate } from './validation.js';
import { newWebhookSecret } from './webhook.js';

/** Where an organisation's webhook endpoints are kept (`webhookEndpoints` of @tamkeen/db is one, on a table). */
export interface WebhookEndpointStore {
  save(organisationId: string, endpoint: { url: string; secret: string }): Promise<void>;
  urlOf(organisationId: string): Promise<string | undefined>;
  remove(organisationId: string): Promise<void>;
}

/**
 * An organisation's webhook at `path`, as every Tamkeen API has it: PUT `{url}` (checked by
 * `input`) sets the URL and issues a new signing secret, shown only in that answer; GET shows the
 * URL (never the secret), 404 when none; DELETE stops the posts. `guard` (a `requireScope`)
 * names the caller's organisation.
 */
export function webhookEndpointRoutes(router: IRouter, path: string, { guard, input, store }: { guard: RequestHandler; input: ZodType<{ url: string }>; store: WebhookEndpointStore }): void {
  resource(router, path, {
    put: [
      guard,
      async (req, res) => {
        const { url } = validate(input, req.body);
        const secret = newWebhookSecret();
        await store.save(callerOf(res).organisationId, { url, secret });
        res.json({ url, secret });
      },
    ],
    get: [
      guard,
      async (_req, res) => {
        const url = await store.urlOf(callerOf(res).organisationId);
        if (url === undefined) throw new NotFound('Your organisation has no webhook.');
        res.json({ url });
      },
    ],
    delete: [
      guard,
      async (_req, res) => {
        await store.remove(callerOf(res).organisationId);
        res.status(204).end();
      },
    ],
  });
}
