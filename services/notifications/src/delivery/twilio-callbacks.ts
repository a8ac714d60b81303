import type { Knex } from '@tamkeen/db';
import { Forbidden, resource, type Logger } from '@tamkeen/http-kit';
import type { IRouter } from 'express';
import twilio from 'twilio';
import { webhookWanted, type StatusChanges } from './webhooks.js';

/** Twilio's message statuses, as GOV.UK Notify's. Earlier ones (queued, accepted...) change nothing. */
const STATUS_FROM_TWILIO: Record<string, string> = {
  sent: 'sent',
  delivered: 'delivered',
  undelivered: 'temporary-failure',
  failed: 'permanent-failure',
};

/** A status may only move forward: a late `sent` never undoes `delivered`. */
const MAY_FOLLOW: Record<string, string[]> = {
  sent: ['sending'],
  delivered: ['sending', 'sent', 'temporary-failure'],
  'temporary-failure': ['sending', 'sent'],
  'permanent-failure': ['sending', 'sent'],
};

export interface TwilioCallbackOptions {
  knex: Knex;
  logger: Logger;
  authToken: string;
  /** The URL Twilio was given and signs: this route's public address. */
  publicUrl: string;
  statusChanges: StatusChanges;
}

/**
 * Delivery statuses from the SMS provider, verified with X-Twilio-Signature (HMAC-SHA1 of the
 * public URL and the parameters with the auth token). Forged or altered callbacks get 403 and
 * change nothing.
 */
export function twilioCallbackRoutes(router: IRouter, { knex, logger, authToken, publicUrl, statusChanges }: TwilioCallbackOptions): void {
  resource(router, '/notifications/v1/callbacks/twilio', {
    post: async (req, res) => {
      const params = Object.fromEntries(Object.entries((req.body ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
      const signature = req.get('X-Twilio-Signature') ?? '';
      // Twilio signs the address it was given, query included (the notification's id).
      const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?')) : '';
      if (!signature || !twilio.validateRequest(authToken, signature, `${publicUrl}${query}`, params)) {
        throw new Forbidden('The X-Twilio-Signature of this callback is missing or wrong.', { code: 'invalid_signature' });
      }
      const sid = params.MessageSid;
      const status = STATUS_FROM_TWILIO[params.MessageStatus ?? ''];
      if (sid && status) {
        const notificationId = typeof req.query.notification === 'string' && /^[0-9a-f-]{36}$/.test(req.query.notification) ? req.query.notification : undefined;
        const [changed] = await knex('notifications')
          // By the provider's id; or, before the worker has recorded it, by the notification's own.
          .where((q) => {
            q.where({ provider_reference: sid });
            if (notificationId) q.orWhere((byId) => byId.where({ id: notificationId }).whereNull('provider_reference'));
          })
          .whereIn('status', MAY_FOLLOW[status] ?? [])
          .update({
            status,
            provider_reference: knex.raw('coalesce(provider_reference, ?)', [sid]),
            updated_at: knex.fn.now(),
            ...(status === 'sent' ? {} : { completed_at: knex.fn.now() }),
            ...(params.ErrorCode ? { last_error: `provider error ${params.ErrorCode}` } : {}),
          })
          .returning<Array<{ id: string; webhook_wanted: boolean }>>(['id', webhookWanted(knex)]);
        if (!changed) logger.info({ sid, status: params.MessageStatus }, 'callback changed nothing (unknown message or an older status)');
        else if (changed.webhook_wanted) await statusChanges.changed(changed.id, status).catch((error: unknown) => logger.warn({ err: error }, 'could not queue the webhook'));
      }
      res.status(204).end();
    },
  });
}
