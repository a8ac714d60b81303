import { callerOf, Conflict, idempotencyKeyOf, listQueryFields, NotFound, pageOf as pageOfItems, requestHash, TooManyRequests, type Logger, requireScope, resource, UnprocessableContent, validate, ValidationFailed, type AccessTokenVerifier } from '@tamkeen/http-kit';
import { smsSegments } from '@tamkeen/sms-text';
import type { IRouter, Request } from 'express';
import { z } from 'zod';
import { mobileNumber } from '@tamkeen/citizen-input';
import { personalise } from '../domain/personalisation.js';
import type { TemplateRepository } from '../templates/template-repository.js';
import type { TemplateType } from '../templates/template.js';
import { emailRequest, smsRequest } from './notification-request.js';
import type { Lanes } from '../delivery/lanes.js';
import type { RateLimiter } from '../delivery/rate-limit.js';
import type { Created, Notification, NotificationRepository } from './notification-repository.js';

const BASE = '/notifications/v1';

const STATUSES = ['created', 'sending', 'sent', 'delivered', 'temporary-failure', 'permanent-failure', 'technical-failure'] as const;

const listQuery = z
  .object({
    status: z.enum(STATUSES, { message: `must be one of ${STATUSES.join(', ')}` }).optional(),
    type: z.enum(['sms', 'email'], { message: 'must be sms or email' }).optional(),
    ...listQueryFields,
  })
  .strict();

/** A page of notifications, newest first, and where the next begins. */
function pageOf(fetched: Notification[], limit: number) {
  const { items, next_cursor } = pageOfItems(fetched, limit, notificationView);
  return { notifications: items, next_cursor };
}

export function notificationView(n: Notification) {
  return {
    id: n.id,
    type: n.type,
    status: n.status,
    reference: n.reference ?? null,
    ...(n.type === 'sms' ? { phone_number: n.recipient } : { email_address: n.recipient }),
    priority: n.lane === 'priority' ? 'high' : 'normal',
    template: { id: n.templateId, version: n.templateVersion },
    language: n.language,
    ...(n.subject !== undefined ? { subject: n.subject } : {}),
    body: n.body,
    ...(n.type === 'sms' ? { sms: { encoding: n.smsEncoding, parts: n.smsParts } } : {}),
    created_at: n.createdAt.toISOString(),
    updated_at: n.updatedAt.toISOString(),
  };
}

export interface NotificationRoutesDeps {
  notifications: NotificationRepository;
  templates: TemplateRepository;
  verify: AccessTokenVerifier;
  lanes: Lanes;
  rateLimiter: RateLimiter;
  logger: Logger;
}

/**
 * Accepting notifications: validated, personalised and written to PostgreSQL, where the sending
 * side picks them up (status `created`). Reading them back by id.
 */
export function notificationRoutes(router: IRouter, { notifications, templates, verify, lanes, rateLimiter, logger }: NotificationRoutesDeps): void {
  const send = requireScope(verify, 'notifications:send');
  const read = requireScope(verify, 'notifications:read', 'notifications:send');

  async function accept(req: Request, type: TemplateType, recipient: string, lane: 'priority' | 'bulk', input: z.output<typeof smsRequest> | z.output<typeof emailRequest>, organisationId: string, clientId: string) {
    const key = idempotencyKeyOf(req);
    const hash = requestHash(req.path, req.body);
    // A request repeated with its Idempotency-Key gets its first answer, and spends no allowance.
    const earlier = key ? await notifications.earlier(organisationId, key, hash) : undefined;
    if (earlier) return answerOf(earlier);
    const template = await templates.current(organisationId, input.template_id);
    if (!template || template.type !== type) {
      throw new ValidationFailed([{ name: 'template_id', reason: template ? `is an ${template.type} template, not ${type}` : 'is not one of your templates' }]);
    }
    const texts: Record<string, string> = { body: template.body[input.language] };
    if (type === 'email') texts.subject = template.subject?.[input.language] ?? '';
    const filled = personalise(texts, input.personalisation);
    if (!filled.ok) {
      throw new ValidationFailed([
        ...filled.missing.map((name) => ({ name: `personalisation.${name}`, reason: 'is used by the template but has no value' })),
        ...filled.invalid.map((name) => ({ name: `personalisation.${name}`, reason: 'must be text or a number' })),
      ]);
    }
    const turn = await rateLimiter.take(organisationId);
    if (!turn.allowed) {
      const seconds = Math.max(1, Math.ceil(turn.retryAfterMs / 1000));
      throw new TooManyRequests(`Your organisation has used its sending allowance for now; try again in ${seconds} s.`, {
        code: 'rate_limited',
        headers: { 'Retry-After': String(seconds) },
      });
    }
    const body = filled.texts.body ?? '';
    const segments = type === 'sms' ? smsSegments(body) : undefined;
    const created = await notifications.create({
      organisationId,
      clientId,
      type,
      lane,
      recipient,
      reference: input.reference,
      templateId: template.id,
      templateVersion: template.version,
      language: input.language,
      subject: filled.texts.subject,
      body,
      smsEncoding: segments?.encoding,
      smsParts: segments?.parts,
      idempotencyKey: key,
      requestHash: hash,
    });
    if (created.outcome === 'created') {
      // Written first, queued second: if Redis fails here, the recovery sweep queues it later.
      await lanes.add(lane, created.notification.id).catch((error: unknown) =>
        logger.warn({ err: error, notification: created.notification.id }, 'could not queue the notification; the sweep will'),
      );
    }
    return answerOf(created);
  }

  /** What a send answers: the notification, or a 422 when its Idempotency-Key was used with another request. */
  function answerOf(created: Created) {
    if (created.outcome === 'key reused') {
      throw new UnprocessableContent('This Idempotency-Key was used with a different request; use a new key for a new notification.', {
        code: 'idempotency_key_reused',
        extensions: { notification_id: created.notification.id },
      });
    }
    return created;
  }

  resource(router, `${BASE}/sms`, {
    post: [
      send,
      async (req, res) => {
        const caller = callerOf(res);
        const input = validate(smsRequest, req.body);
        const phone = mobileNumber(input.phone_number);
        if (!phone.ok) throw new ValidationFailed([{ name: 'phone_number', reason: phone.reason }]);
        const created = await accept(req, 'sms', phone.e164, input.priority === 'high' ? 'priority' : 'bulk', input, caller.organisationId, caller.clientId);
        if (created.outcome === 'repeated') res.setHeader('Idempotent-Replayed', 'true');
        res.status(201).location(`${BASE}/notifications/${created.notification.id}`).json(notificationView(created.notification));
      },
    ],
  });

  resource(router, `${BASE}/email`, {
    post: [
      send,
      async (req, res) => {
        const caller = callerOf(res);
        const input = validate(emailRequest, req.body);
        const created = await accept(req, 'email', input.email_address.toLowerCase(), input.priority === 'high' ? 'priority' : 'bulk', input, caller.organisationId, caller.clientId);
        if (created.outcome === 'repeated') res.setHeader('Idempotent-Replayed', 'true');
        res.status(201).location(`${BASE}/notifications/${created.notification.id}`).json(notificationView(created.notification));
      },
    ],
  });

  resource(router, `${BASE}/notifications`, {
    get: [
      read,
      async (req, res) => {
        const query = validate(listQuery, req.query);
        res.json(pageOf(await notifications.list(callerOf(res).organisationId, query, query.limit + 1, query.cursor), query.limit));
      },
    ],
  });

  // The dead-letter list: what every retry failed to send; an operator requeues from it.
  resource(router, `${BASE}/dead-letters`, {
    get: [
      read,
      async (req, res) => {
        const query = validate(listQuery.omit({ status: true }), req.query);
        const filter = { ...query, status: 'technical-failure' };
        res.json(pageOf(await notifications.list(callerOf(res).organisationId, filter, query.limit + 1, query.cursor), query.limit));
      },
    ],
  });

  resource(router, `${BASE}/notifications/:id/requeue`, {
    post: [
      send,
      async (req, res) => {
        const organisationId = callerOf(res).organisationId;
        const id = String(req.params.id);
        const found = z.uuid().safeParse(id).success ? await notifications.find(organisationId, id) : undefined;
        if (!found) throw new NotFound(`Your organisation has no notification ${id}.`);
        const revived = await notifications.reviveFailed(organisationId, id);
        if (!revived) throw new Conflict(`Only a notification in technical-failure can be queued again; this one is ${found.status}.`, { code: 'not_requeueable' });
        await lanes.requeue(revived.lane, revived.id);
        logger.info({ notification: id }, 'requeued from the dead-letter list');
        res.json(notificationView(revived));
      },
    ],
  });

  resource(router, `${BASE}/notifications/:id`, {
    get: [
      read,
      async (req, res) => {
        const id = String(req.params.id);
        const found = z.uuid().safeParse(id).success ? await notifications.find(callerOf(res).organisationId, id) : undefined;
        if (!found) throw new NotFound(`Your organisation has no notification ${id}.`);
        res.json(notificationView(found));
      },
    ],
  });
}
