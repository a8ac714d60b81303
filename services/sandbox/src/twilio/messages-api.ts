import { timingSafeEqual } from 'node:crypto';
import type { Logger } from '@tamkeen/http-kit';
import { smsSegments } from '@tamkeen/sms-text';
import type { IRouter, Request, Response } from 'express';
import { type MessageStore, twilioSid, type SandboxMessage } from './message-store.js';
import { deliver } from './status-callbacks.js';
import { MAGIC_NUMBERS, twilioError, twilioErrorBody, type TwilioError } from './twilio-errors.js';

export interface TwilioAccount {
  accountSid: string;
  authToken: string;
}

export interface MessagesApiOptions {
  account: TwilioAccount;
  store: MessageStore;
  logger: Logger;
  stepDelayMs: number;
}

const E164 = /^\+[1-9]\d{6,14}$/;
const BODY_LIMIT = 1600;

function rfc2822(date: Date | null): string | null {
  return date ? date.toUTCString().replace('GMT', '+0000') : null;
}

/** A message as Twilio's Message resource shows it. */
export function messageResource(message: SandboxMessage) {
  const uri = `/2010-04-01/Accounts/${message.accountSid}/Messages/${message.sid}.json`;
  return {
    account_sid: message.accountSid,
    api_version: '2010-04-01',
    body: message.body,
    date_created: rfc2822(message.dateCreated),
    date_sent: rfc2822(message.dateSent),
    date_updated: rfc2822(message.dateUpdated),
    direction: 'outbound-api',
    error_code: message.errorCode,
    error_message: null,
    from: message.from,
    messaging_service_sid: message.messagingServiceSid,
    num_media: '0',
    num_segments: String(message.segments),
    price: null,
    price_unit: 'USD',
    sid: message.sid,
    status: message.status,
    subresource_uris: { media: uri.replace('.json', '/Media.json') },
    to: message.to,
    uri,
  };
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function authenticate(req: Request, account: TwilioAccount): TwilioError | undefined {
  const header = req.headers.authorization ?? '';
  const [scheme, encoded] = header.split(' ');
  const [user, password] = scheme?.toLowerCase() === 'basic' && encoded ? Buffer.from(encoded, 'base64').toString().split(/:(.*)/s) : [];
  const ok = user === account.accountSid && req.params.accountSid === account.accountSid && sameSecret(password ?? '', account.authToken);
  return ok ? undefined : twilioError(401, 20003, 'Authenticate');
}

function fail(res: Response, error: TwilioError): void {
  res.status(error.status).json(twilioErrorBody(error));
}

function param(req: Request, name: string): string | undefined {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The Twilio Programmable Messaging endpoints the platform uses: create a message, fetch one. */
export function messagesApi(router: IRouter, { account, store, logger, stepDelayMs }: MessagesApiOptions): void {
  const base = '/2010-04-01/Accounts/:accountSid/Messages';

  router.post(`${base}.json`, (req, res) => {
    const refused = authenticate(req, account);
    if (refused) return fail(res, refused);
    const to = param(req, 'To');
    const from = param(req, 'From');
    const messagingServiceSid = param(req, 'MessagingServiceSid');
    const body = param(req, 'Body');
    const statusCallback = param(req, 'StatusCallback');
    if (!to) return fail(res, twilioError(400, 21604, "A 'To' phone number is required."));
    if (!from && !messagingServiceSid) return fail(res, twilioError(400, 21603, "A 'From' phone number is required."));
    if (!body) return fail(res, twilioError(400, 21602, 'Message body is required.'));
    if (!E164.test(to)) return fail(res, twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`));
    if (body.length > BODY_LIMIT) return fail(res, twilioError(400, 21617, 'The concatenated message body exceeds the 1600 character limit.'));
    if (statusCallback !== undefined && !URL.canParse(statusCallback)) return fail(res, twilioError(400, 21609, 'Invalid StatusCallback URL.'));
    const magic = MAGIC_NUMBERS[to];
    if (magic?.refuse) return fail(res, magic.refuse);
    // A repeat of a request already accepted (same idempotency token) is answered, not sent again.
    const token = req.get('I-Twilio-Idempotency-Token');
    const earlier = token ? store.byToken(account.accountSid, token) : undefined;
    if (earlier) return void res.status(201).json(messageResource(earlier));

    const now = new Date();
    const message: SandboxMessage = {
      sid: twilioSid('SM'),
      accountSid: account.accountSid,
      to,
      from: from ?? null,
      messagingServiceSid: messagingServiceSid ?? null,
      body,
      status: 'queued',
      errorCode: null,
      statusCallback: statusCallback ?? null,
      segments: Math.max(1, smsSegments(body).parts),
      dateCreated: now,
      dateUpdated: now,
      dateSent: null,
    };
    store.add(message, token);
    res.status(201).json(messageResource(message));
    // As Twilio does: answer first, then report the delivery through the StatusCallback.
    const final = magic?.outcome ?? { status: 'delivered' as const, errorCode: null };
    void deliver(message, final, { authToken: account.authToken, logger, stepDelayMs });
  });

  router.get(`${base}/:sid.json`, (req, res) => {
    const refused = authenticate(req, account);
    if (refused) return fail(res, refused);
    const message = store.get(String(req.params.sid));
    if (!message) return fail(res, twilioError(404, 20404, `The requested resource ${req.path} was not found`));
    res.json(messageResource(message));
  });
}
