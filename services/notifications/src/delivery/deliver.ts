import type { Knex } from '@tamkeen/db';
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

/**
 * Hands one notification to its provider. A notification that is no longer waiting (already sent,
 * or failed for good) is left alone, so a job run twice sends once; and the SMS provider is given
 * the notification id, so a send repeated after a crash is recognised there too.
 * Throws on failure: PermanentFailure when a retry cannot help, anything else when it may.
 */
export async function deliverNotification(id: string, { knex, sms, email, smsStatusCallback, logger, statusChanges }: DeliveryDeps): Promise<{ type: 'sms' | 'email'; acceptedAt: Date } | 'skipped'> {
  const [claimed] = await knex('notifications')
    .where({ id })
    .whereIn('status', ['created', 'sending'])
    .whereNull('provider_reference')
    .update({ status: 'sending', attempts: knex.raw('attempts + 1'), updated_at: knex.fn.now() })
    .returning<Claimed[]>(['id', 'type', 'recipient', 'subject', 'body', 'language', 'created_at', webhookWanted(knex)]);
  if (!claimed) return 'skipped';
  const tell = async (status: string) => {
    if (!claimed.webhook_wanted || !statusChanges) return;
    await statusChanges.changed(id, status).catch((error: unknown) => logger.warn({ err: error, notification: id }, 'could not queue the webhook'));
  };
  await tell('sending');
  try {
    if (claimed.type === 'sms') {
      const { providerId } = await sms.send({ notificationId: id, to: claimed.recipient, body: claimed.body, statusCallback: smsStatusCallback });
      // Still `sending`: the provider's callbacks say when it is sent and delivered.
      await knex('notifications').where({ id }).update({ provider_reference: providerId, sent_at: knex.fn.now(), last_error: null, updated_at: knex.fn.now() });
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
}

/** After the last try: the notification ends `technical-failure`, in the dead-letter list. */
export async function giveUp(knex: Knex, id: string, statusChanges?: StatusChanges): Promise<void> {
  const [changed] = await knex('notifications')
    .where({ id, status: 'sending' })
    .whereNull('provider_reference')
    .update({ status: 'technical-failure', completed_at: knex.fn.now(), updated_at: knex.fn.now() })
    .returning<Array<{ webhook_wanted: boolean }>>([webhookWanted(knex)]);
  if (changed?.webhook_wanted) await statusChanges?.changed(id, 'technical-failure');
}
