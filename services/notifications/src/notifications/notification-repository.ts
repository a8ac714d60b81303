import { randomUUID } from 'node:crypto';
import { batched, newestFirst, type Knex } from '@tamkeen/db';
import type { Lane } from '../delivery/lanes.js';

export type NotificationType = 'sms' | 'email';

export interface NewNotification {
  organisationId: string;
  clientId: string;
  type: NotificationType;
  lane: Lane;
  recipient: string;
  reference: string | undefined;
  templateId: string;
  templateVersion: number;
  language: 'ar' | 'en';
  subject: string | undefined;
  body: string;
  smsEncoding: string | undefined;
  smsParts: number | undefined;
  idempotencyKey: string | undefined;
  requestHash: string;
}

export interface Notification extends NewNotification {
  id: string;
  status: string;
  createdAt: Date;
  updatedAt: Date;
}

interface Row {
  id: string;
  organisation_id: string;
  client_id: string;
  type: NotificationType;
  lane: Lane;
  status: string;
  recipient: string;
  reference: string | null;
  template_id: string;
  template_version: number;
  language: 'ar' | 'en';
  subject: string | null;
  body: string;
  sms_encoding: string | null;
  sms_parts: number | null;
  idempotency_key: string | null;
  request_hash: string;
  created_at: Date;
  updated_at: Date;
}

function toNotification(row: Row): Notification {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    clientId: row.client_id,
    type: row.type,
    lane: row.lane,
    status: row.status,
    recipient: row.recipient,
    reference: row.reference ?? undefined,
    templateId: row.template_id,
    templateVersion: row.template_version,
    language: row.language,
    subject: row.subject ?? undefined,
    body: row.body,
    smsEncoding: row.sms_encoding ?? undefined,
    smsParts: row.sms_parts ?? undefined,
    idempotencyKey: row.idempotency_key ?? undefined,
    requestHash: row.request_hash,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface NotificationFilter {
  status?: string;
  type?: NotificationType;
  reference?: string;
  from?: Date;
  to?: Date;
}

export type Created = { outcome: 'created' | 'repeated'; notification: Notification } | { outcome: 'key reused'; notification: Notification };

/** The row a new notification is written as. */
function rowOf(input: NewNotification) {
  return {
    id: randomUUID(),
    organisation_id: input.organisationId,
    client_id: input.clientId,
    type: input.type,
    lane: input.lane,
    recipient: input.recipient,
    reference: input.reference ?? null,
    template_id: input.templateId,
    template_version: input.templateVersion,
    language: input.language,
    subject: input.subject ?? null,
    body: input.body,
    sms_encoding: input.smsEncoding ?? null,
    sms_parts: input.smsParts ?? null,
    idempotency_key: input.idempotencyKey ?? null,
    request_hash: input.requestHash,
  };
}

/** Notifications of one organisation at a time: every query is scoped by organisation_id. */
export function notificationRepository(knex: Knex) {
  // Notifications without an Idempotency-Key (nothing to conflict on) that arrive together are
  // written by one INSERT: under load, one round trip for many sends.
  const insertBatched = batched(async (inputs: readonly NewNotification[]) => {
    const rows = inputs.map(rowOf);
    const written = new Map((await knex('notifications').insert(rows).returning<Row[]>('*')).map((row) => [row.id, toNotification(row)]));
    return rows.map((row) => written.get(row.id)!);
  });

  const byKey = async (organisationId: string, key: string) => {
    const row = await knex('notifications').where({ organisation_id: organisationId, idempotency_key: key }).first<Row | undefined>();
    return row && toNotification(row);
  };
  const judge = (existing: Notification, requestHash: string): Created =>
    existing.requestHash === requestHash ? { outcome: 'repeated', notification: existing } : { outcome: 'key reused', notification: existing };

  return {
    /** What an earlier request with this Idempotency-Key gave (judged against this request), if there was one. */
    async earlier(organisationId: string, key: string, requestHash: string): Promise<Created | undefined> {
      const first = await byKey(organisationId, key);
      return first && judge(first, requestHash);
    },

    /**
     * Writes the notification, once per Idempotency-Key: the same key with the same request gives
     * back the first notification; with another request, `key reused`. Two racing requests with
     * one key end in one row.
     */
    async create(input: NewNotification): Promise<Created> {
      if (!input.idempotencyKey) return { outcome: 'created', notification: await insertBatched(input) };
      // One statement decides a race between requests with one key: the loser inserts nothing.
      const [row] = await knex('notifications')
        .insert(rowOf(input))
        .onConflict(knex.raw('(organisation_id, idempotency_key) where idempotency_key is not null'))
        .ignore()
        .returning<Row[]>('*');
      if (row) return { outcome: 'created', notification: toNotification(row) };
      const first = await byKey(input.organisationId, input.idempotencyKey);
      if (!first) throw new Error('an insert that conflicted on its Idempotency-Key found no notification with that key');
      return judge(first, input.requestHash);
    },

    /** Newest first, a page at a time: `after` is the last notification of the previous page. */
    async list(organisationId: string, filter: NotificationFilter, limit: number, after?: { createdAt: Date; id: string }): Promise<Notification[]> {
      const query = knex('notifications').where({ organisation_id: organisationId });
      if (filter.status) query.where('status', filter.status);
      if (filter.type) query.where('type', filter.type);
      if (filter.reference) query.where('reference', filter.reference);
      const rows = await newestFirst(query, { from: filter.from, to: filter.to, after, limit });
      return (rows as Row[]).map(toNotification);
    },

    /** Moves a technical-failure back to created; undefined when it is not (or no longer) one. */
    async reviveFailed(organisationId: string, id: string): Promise<Notification | undefined> {
      const [row] = await knex('notifications')
        .where({ organisation_id: organisationId, id, status: 'technical-failure' })
        .update({ status: 'created', attempts: 0, completed_at: null, updated_at: knex.fn.now() })
        .returning<Row[]>('*');
      return row && toNotification(row);
    },

    async find(organisationId: string, id: string): Promise<Notification | undefined> {
      const row = await knex('notifications').where({ organisation_id: organisationId, id }).first<Row | undefined>();
      return row && toNotification(row);
    },
  };
}

export type NotificationRepository = ReturnType<typeof notificationRepository>;
