import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { schemaViolations } from '@tamkeen/testing';

/** What a stand-in saw: every request, with the problems it found in it against openapi/notifications.yaml. */
export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown> | undefined;
  violations: string[];
}

const violations = (schema: string, value: unknown) => schemaViolations('notifications.yaml', `#/components/schemas/${schema}`, value);

async function listen(server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => resolve(body));
  });
}

function problem(res: ServerResponse, status: number, code: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const body = { type: `https://tamkeen.example/problems/${code}`, title: 'Problem', status, detail: `stand-in: ${code}`, code, ...extra };
  res.writeHead(status, { 'content-type': 'application/problem+json', ...headers }).end(JSON.stringify(body));
}

/**
 * A stand-in for the enterprise issuer's token endpoint: client credentials with
 * client_secret_basic for one client, answering opaque tokens that the stand-in notifications
 * service below accepts, or what `mint` makes (JWTs of a test issuer, for the real service).
 */
export interface TestTokenEndpoint {
  url: string;
  /** Every token request's form (never with the secret). */
  requests: Array<{ authorization: string | undefined; form: Record<string, string> }>;
  /** Tokens it gave; the notifications stand-in accepts these unless revoked. */
  issued: Set<string>;
  /** How long its tokens live, in seconds. */
  expiresIn: number;
  close(): Promise<void>;
}

export async function startTokenEndpoint({ clientId, clientSecret, mint }: { clientId: string; clientSecret: string; mint?: (form: Record<string, string>) => Promise<string> }): Promise<TestTokenEndpoint> {
  const endpoint: Omit<TestTokenEndpoint, 'url' | 'close'> = { requests: [], issued: new Set(), expiresIn: 600 };
  const expected = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
  const server = createServer((req, res) => {
    void readBody(req).then(async (raw) => {
      const form = Object.fromEntries(new URLSearchParams(raw));
      endpoint.requests.push({ authorization: req.headers.authorization, form });
      if (req.method !== 'POST' || req.url !== '/auth/enterprise/token') return res.writeHead(404).end();
      if (req.headers.authorization !== expected) return res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_client' }));
      if (form.grant_type !== 'client_credentials') return res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'unsupported_grant_type' }));
      const token = mint ? await mint(form) : `at-${randomUUID()}`;
      endpoint.issued.add(token);
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: endpoint.expiresIn, scope: form.scope }));
    });
  });
  const port = await listen(server);
  return Object.assign(endpoint, { url: `http://127.0.0.1:${port}/auth/enterprise/token`, close: () => close(server) });
}

export interface StoredNotification {
  id: string;
  type: 'sms' | 'email';
  key: string | undefined;
  hash: string;
  request: Record<string, unknown>;
}

/**
 * A stand-in for the notifications API that answers as openapi/notifications.yaml says (201 with a
 * Notification, 400 problems with invalid_params, 422 for a reused Idempotency-Key, 401 without a
 * token it issued), checks every request body against the spec, and can be told to fail.
 */
export interface TestNotificationsApi {
  url: string;
  seen: SeenRequest[];
  /** Notifications it accepted, one per Idempotency-Key. */
  notifications: StoredNotification[];
  templates: Array<{ id: string; name: string; type: string; body: unknown; subject?: unknown }>;
  /** Numbers it refuses with a 400 (as notifications refuses a number that is not a mobile one). */
  refusedNumbers: Set<string>;
  /** Answers for the next sends (/sms, /email), in order: a status, or `drop` (accepts, then cuts the connection before answering). */
  nextSends: Array<number | 'drop'>;
  /** Retry-After (seconds) on a 429. */
  retryAfter: number;
  /** Stops answering (connections refused) and starts again on the same port. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startNotificationsApi(tokens: TestTokenEndpoint): Promise<TestNotificationsApi> {
  const api = {
    seen: [] as SeenRequest[],
    notifications: [] as StoredNotification[],
    templates: [] as TestNotificationsApi['templates'],
    refusedNumbers: new Set<string>(),
    nextSends: [] as Array<number | 'drop'>,
    retryAfter: 30,
  };
  const now = () => new Date().toISOString();
  const notificationView = (n: StoredNotification) => {
    const request = n.request as { phone_number?: string; email_address?: string; template_id: string; language?: 'ar' | 'en'; reference?: string; personalisation?: Record<string, string> };
    const view = {
      id: n.id,
      type: n.type,
      status: 'created',
      reference: request.reference ?? null,
      ...(n.type === 'sms' ? { phone_number: request.phone_number, sms: { encoding: 'UCS-2', parts: 3 } } : { email_address: request.email_address, subject: request.personalisation?.subject ?? '' }),
      priority: 'normal',
      template: { id: request.template_id, version: 1 },
      language: request.language ?? 'ar',
      body: request.personalisation?.receipt ?? '',
      created_at: now(),
      updated_at: now(),
    };
    const wrong = violations('Notification', view);
    if (wrong.length) throw new Error(`the stand-in's own answer breaks the spec: ${wrong.join('; ')}`);
    return view;
  };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const raw = await readBody(req);
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
    const path = (req.url ?? '/').replace(/^\/notifications\/v1/, '');
    const seen: SeenRequest = { method: req.method ?? '', path, headers: req.headers, body, violations: [] };
    api.seen.push(seen);
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token || !tokens.issued.has(token)) return problem(res, 401, 'unauthorized');
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) => res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(value));

    if (path === '/templates' && req.method === 'GET') return json(200, { templates: api.templates.map(templateView) });
    if (path === '/templates' && req.method === 'POST') {
      seen.violations = violations('NewTemplate', body);
      if (seen.violations.length) return problem(res, 400, 'invalid_request');
      const spec = body as { name: string; type: string; body: unknown; subject?: unknown };
      if (api.templates.some((t) => t.name === spec.name)) return problem(res, 409, 'template_name_taken');
      const template = { id: randomUUID(), ...spec };
      api.templates.push(template);
      return json(201, templateView(template), { location: `/notifications/v1/templates/${template.id}` });
    }
    if ((path === '/sms' || path === '/email') && req.method === 'POST') {
      const type = path === '/sms' ? 'sms' : 'email';
      seen.violations = violations(type === 'sms' ? 'SmsRequest' : 'EmailRequest', body);
      const key = req.headers['idempotency-key'] as string | undefined;
      if (key !== undefined && (key.length < 1 || key.length > 255)) seen.violations.push('Idempotency-Key must be 1 to 255 characters');
      if (seen.violations.length) return problem(res, 400, 'invalid_request', { invalid_params: seen.violations.map((v) => ({ name: 'body', reason: v })) });
      const hash = createHash('sha256').update(raw).digest('hex');
      const earlier = key ? api.notifications.find((n) => n.key === key) : undefined;
      if (earlier) {
        if (earlier.hash !== hash) return problem(res, 422, 'idempotency_key_reused', { notification_id: earlier.id });
        return json(201, notificationView(earlier), { 'idempotent-replayed': 'true', location: `/notifications/v1/notifications/${earlier.id}` });
      }
      const next = api.nextSends.shift();
      if (typeof next === 'number' && next !== 201) return next === 429 ? problem(res, 429, 'rate_limited', {}, { 'retry-after': String(api.retryAfter) }) : problem(res, next, next >= 500 ? 'unavailable' : 'refused');
      if (!api.templates.some((t) => t.id === body?.template_id && t.type === type)) return problem(res, 400, 'invalid_request', { invalid_params: [{ name: 'template_id', reason: 'is not one of your templates' }] });
      if (type === 'sms' && api.refusedNumbers.has(String(body?.phone_number))) return problem(res, 400, 'invalid_request', { invalid_params: [{ name: 'phone_number', reason: 'is not a mobile number' }] });
      const stored: StoredNotification = { id: randomUUID(), type, key, hash, request: body ?? {} };
      api.notifications.push(stored);
      if (next === 'drop') return req.socket.destroy();
      return json(201, notificationView(stored), { location: `/notifications/v1/notifications/${stored.id}` });
    }
    return problem(res, 404, 'not_found');
  }

  function templateView(t: TestNotificationsApi['templates'][number]) {
    const view = { ...t, version: 1, placeholders: t.subject ? ['subject', 'receipt'] : ['receipt'], created_at: now(), updated_at: now() };
    const wrong = violations('Template', view);
    if (wrong.length) throw new Error(`the stand-in's own answer breaks the spec: ${wrong.join('; ')}`);
    return view;
  }

  let server: Server;
  const start = async (port = 0) => {
    server = createServer((req, res) => void handle(req, res).catch((error: unknown) => res.writeHead(500).end(String(error))));
    return listen(server, port);
  };
  const port = await start();
  return Object.assign(api, {
    url: `http://127.0.0.1:${port}`,
    down: () => close(server),
    up: async () => void (await start(port)),
    close: () => close(server),
  });
}
