import { batched, type Knex } from '@tamkeen/db';
import type { Logger } from '@tamkeen/http-kit';
import { SmsNotSent, type SmsProvider } from '../providers/sms-provider.js';
import type { EmailProvider } from './email-provider.js';
import { webhookWanted, type StatusChanges } from './webhooks.js';

export interface DeliveryDeps {
  knex: Knex;
  sms: SmsProvider;
  email: EmailProvider;
  /** Where the SMS provider reports delivery statuses (this service's public callback URL). */
  smsStatusCallback: string | undefined;
  logger: Logger;
  /** Tells the organisation's webhook; absent, nobody is told. */
  statusChanges?: StatusChanges;
}

/** Sending cannot succeed (the provider refused for good): no retry. */
export class PermanentFailure extends Error {}

interface Claimed {
  id: string;
  type: 'sms' | 'email';
  recipient: string;
  subject: string | null;
  body: string;
  language: 'ar' | 'en';
  created_at: Date;
  webhook_wanted: boolean;
}

/** The columns a claim returns: what the send needs. */
const CLAIMED = ['id', 'type', 'recipient', 'subject', 'body', 'language', 'created_at'] as const;

export interface NotificationDelivery {
  /**
   * Hands one notification to its provider. A notification that is no longer waiting (already
   * sent, or failed for good) is left alone, so a job run twice sends once; and the SMS provider
   * is given the notification id, so a send repeated after a crash is recognised there too.
   * Throws on failure: PermanentFailure when a retry cannot help, anything else when it may.
   */
  deliver(id: string): Promise<{ type: 'sms' | 'email'; acceptedAt: Date } | 'skipped'>;
  /** After the last try: the notification ends `technical-failure`, in the dead-letter list. */
  giveUp(id: string): Promise<void>;
}

export function notificationDelivery({ knex, sms, email, smsStatusCallback, logger, statusChanges }: DeliveryDeps): NotificationDelivery {
  // The two writes of every send, gathered across the sends in progress: under load one UPDATE
  // claims (or records as handed over) many notifications.
  const claim = batched(async (ids: readonly string[]) => {
    const rows = await knex('notifications')
      .whereIn('id', [...ids])
      .whereIn('status', ['created', 'sending'])
      .whereNull('provider_reference')
      .update({ status: 'sending', attempts: knex.raw('attempts + 1'), updated_at: knex.fn.now() })
      .returning<Claimed[]>([...CLAIMED, webhookWanted(knex)]);
    const claimed = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => claimed.get(id));
  });
  const recordHandedOver = batched(async (handed: ReadonlyArray<{ id: string; providerReference: string }>) => {
    await knex.raw(
      `update notifications n set provider_reference = v.reference, sent_at = now(), last_error = null, updated_at = now()
         from (select unnest(?::uuid[]) as id, unnest(?::text[]) as reference) v where n.id = v.id`,
      [handed.map((h) => h.id), handed.map((h) => h.providerReference)],
    );
    return handed.map(() => undefined);
  });

  return {
    async deliver(id) {
      const claimed = await claim(id);
      if (!claimed) return 'skipped';
      const tell = async (status: string) => {
        if (!claimed.webhook_wanted || !statusChanges) return;
        await statusChanges.changed(id, status).catch((error: unknown) => logger.warn({ err: error, notification: id }, 'could not queue the webhook'));
      };
      await tell('sending');
      try {
        if (claimed.type === 'sms') {
          // The callback address names the notification: a status that arrives before the
          // provider's id is recorded here still finds its notification.
          const statusCallback = smsStatusCallback && `${smsStatusCallback}${smsStatusCallback.includes('?') ? '&' : '?'}notification=${id}`;
          const { providerId } = await sms.send({ notificationId: id, to: claimed.recipient, body: claimed.body, statusCallback });
          // Still `sending`: the provider's callbacks say when it is sent and delivered.
          await recordHandedOver({ id, providerReference: providerId });
        } else {
          const { messageId } = await email.send({ notificationId: id, to: claimed.recipient, subject: claimed.subject ?? '', body: claimed.body, language: claimed.language });
          // The receiving SMTP server accepted it: for e-mail that is delivery.
          await knex('notifications')
            .where({ id })
            .update({ provider_reference: messageId, status: 'delivered', sent_at: knex.fn.now(), completed_at: knex.fn.now(), last_error: null, updated_at: knex.fn.now() });
          await tell('delivered');
        }
        return { type: claimed.type, acceptedAt: claimed.created_at };
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        if (error instanceof SmsNotSent && error.permanent) {
          await knex('notifications').where({ id }).update({ status: 'permanent-failure', last_error: reason, completed_at: knex.fn.now(), updated_at: knex.fn.now() });
          logger.warn({ notification: id, providerCode: error.providerCode }, 'the provider refused the notification for good');
          await tell('permanent-failure');
          throw new PermanentFailure(reason);
        }
        await knex('notifications').where({ id }).update({ last_error: reason, updated_at: knex.fn.now() });
        throw error;
      }
    },

    async giveUp(id) {
      const [changed] = await knex('notifications')
        .where({ id, status: 'sending' })
        .whereNull('provider_reference')
        .update({ status: 'technical-failure', completed_at: knex.fn.now(), updated_at: knex.fn.now() })
        .returning<Array<{ webhook_wanted: boolean }>>([webhookWanted(knex)]);
      if (changed?.webhook_wanted) await statusChanges?.changed(id, 'technical-failure');
    },
  };
}
