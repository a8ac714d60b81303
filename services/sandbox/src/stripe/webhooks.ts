import { createHmac } from 'node:crypto';
import type { Logger } from '@tamkeen/http-kit';
import { invalidRequest, resourceMissing } from './errors.js';
import { applyMetadata, listParam, onlyKnown, requiredString, stringParam, type Params } from './params.js';
import { eventObject, type StripeObject } from './resources.js';
import { type EventRecord, type StripeState, stripeId, type WebhookEndpointRecord } from './state.js';

export interface WebhookEndpoint {
  url: string;
  /** Event types, or `*` for all. */
  enabledEvents?: string[];
  /** `whsec_…`: the key of the HMAC-SHA256 signature. */
  secret: string;
}

export interface WebhookOptions {
  endpoints: WebhookEndpoint[];
  /** Pauses before each retry, in milliseconds; their count is the number of retries. */
  retryDelaysMs: number[];
  /** How long to wait for an answer to one delivery. */
  timeoutMs: number;
  logger: Logger;
  /** Seconds since the epoch, for the signature's `t`. */
  nowSeconds: () => number;
}

/** Stripe's signature scheme: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. */
export function signatureHeader(payload: string, secret: string, timestamp: number): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * Posts every event to every endpoint, signed as Stripe signs (`Stripe-Signature`), and retries
 * with the given pauses while the endpoint does not answer 2xx. Deliveries run independently:
 * as with Stripe, events may arrive out of order. `pending_webhooks` counts what is not yet delivered.
 */
export function sendWebhooks(state: StripeState, options: WebhookOptions): void {
  state.eventListeners.push((event) => {
    const endpoints = [...options.endpoints, ...state.webhookEndpoints.values()].filter((e) => wants(e.enabledEvents ?? ['*'], event.type));
    event.pendingWebhooks += endpoints.length;
    for (const endpoint of endpoints) void deliver(event, endpoint, options);
  });
}

function wants(enabled: string[], type: string): boolean {
  return enabled.some((pattern) => pattern === '*' || pattern === type || (pattern.endsWith('.*') && type.startsWith(pattern.slice(0, -1))));
}

/** Stripe's WebhookEndpoint object; its `secret` only in the answer that created it, as Stripe shows it. */
export function webhookEndpointObject(endpoint: WebhookEndpointRecord, withSecret = false): StripeObject {
  return {
    id: endpoint.id,
    object: 'webhook_endpoint',
    api_version: null,
    application: null,
    created: endpoint.created,
    description: endpoint.description,
    enabled_events: endpoint.enabledEvents,
    livemode: false,
    metadata: endpoint.metadata,
    ...(withSecret ? { secret: endpoint.secret } : {}),
    status: 'enabled',
    url: endpoint.url,
  };
}

export function webhookEndpointOf(state: StripeState, id: string): WebhookEndpointRecord {
  const endpoint = state.webhookEndpoints.get(id);
  if (!endpoint) throw resourceMissing('webhook_endpoint', id, 'id');
  return endpoint;
}

/** Registers an endpoint (`url`, `enabled_events[]`: types or `*`), with a new `whsec_…` secret. */
export function createWebhookEndpoint(state: StripeState, params: Params, now: number): WebhookEndpointRecord {
  onlyKnown(params, ['url', 'enabled_events', 'description', 'metadata', 'api_version', 'expand']);
  const url = requiredString(params, 'url');
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw invalidRequest('Invalid URL: must be an http or https URL.', { param: 'url', code: 'url_invalid' });
  const enabledEvents = listParam(params, 'enabled_events');
  if (!enabledEvents || enabledEvents.length === 0) throw invalidRequest('Missing required param: enabled_events.', { param: 'enabled_events', code: 'parameter_missing' });
  const endpoint: WebhookEndpointRecord = {
    id: stripeId('we'),
    seq: state.nextSeq(),
    created: now,
    url,
    secret: stripeId('whsec', 32),
    enabledEvents,
    description: stringParam(params, 'description') || null,
    metadata: applyMetadata({}, params),
  };
  state.webhookEndpoints.set(endpoint.id, endpoint);
  return endpoint;
}

async function deliver(event: EventRecord, endpoint: WebhookEndpoint, options: WebhookOptions): Promise<void> {
  const payload = JSON.stringify(eventObject(event), null, 2);
  for (let attempt = 0; attempt <= options.retryDelaysMs.length; attempt++) {
    if (attempt > 0) await sleep(options.retryDelaysMs[attempt - 1] ?? 0);
    try {
      const response = await fetch(endpoint.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'stripe-signature': signatureHeader(payload, endpoint.secret, options.nowSeconds()),
        },
        body: payload,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) {
        event.pendingWebhooks -= 1;
        return;
      }
      options.logger.warn({ event: event.id, type: event.type, status: response.status, attempt: attempt + 1 }, 'webhook endpoint answered with an error');
    } catch (error) {
      options.logger.warn({ event: event.id, type: event.type, err: error, attempt: attempt + 1 }, 'webhook could not be delivered');
    }
  }
  options.logger.error({ event: event.id, type: event.type }, 'webhook given up after its retries');
}
