import { createHash } from 'node:crypto';
import { idempotencyError, idempotencyKeyInUse, invalidRequest } from './errors.js';

export interface SavedResponse {
  status: number;
  body: unknown;
  requestId: string;
}

interface Entry {
  endpoint: string;
  parameters: string;
  savedAt: number;
  response: SavedResponse | null;
}

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * Stripe's idempotent requests (https://docs.stripe.com/api/idempotent_requests): a POST's
 * `Idempotency-Key` is kept 24 hours per API key; the same key with the same parameters gets the
 * first response again (status and body), with another endpoint or other parameters a 400
 * `idempotency_error`. As Stripe, a result is saved only once the endpoint has started executing:
 * a request refused by validation (400), authentication (401) or not found (404) saves nothing and
 * may be retried with the same key.
 */
export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly nowMs: () => number = Date.now) {}

  private scoped(apiKey: string, key: string): string {
    return `${createHash('sha256').update(apiKey).digest('base64url')}:${key}`;
  }

  /** The saved response to replay, or undefined to execute (the key is then held until `finish`). */
  begin(apiKey: string, key: string, endpoint: string, parameters: string): SavedResponse | undefined {
    if (key.length > 255) throw invalidRequest('Idempotency keys can be no longer than 255 characters.', { param: 'idempotency_key' });
    this.expire();
    const scoped = this.scoped(apiKey, key);
    const entry = this.entries.get(scoped);
    if (!entry) {
      this.entries.set(scoped, { endpoint, parameters, savedAt: this.nowMs(), response: null });
      return undefined;
    }
    if (entry.endpoint !== endpoint) {
      throw idempotencyError(
        `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${entry.endpoint}' vs '${endpoint}'). Try using a key other than '${key.slice(0, 255)}' if you meant to execute a different request.`,
      );
    }
    if (entry.parameters !== parameters) {
      throw idempotencyError(
        `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key.slice(0, 255)}' if you meant to execute a different request.`,
      );
    }
    if (!entry.response) throw idempotencyKeyInUse();
    return entry.response;
  }

  finish(apiKey: string, key: string, response: SavedResponse): void {
    const scoped = this.scoped(apiKey, key);
    const entry = this.entries.get(scoped);
    if (!entry) return;
    if ([400, 401, 403, 404, 409, 429].includes(response.status)) this.entries.delete(scoped);
    else entry.response = response;
  }

  private expire(): void {
    const oldest = this.nowMs() - IDEMPOTENCY_TTL_MS;
    // Entries are in the order they were made: stop at the first one still fresh.
    for (const [key, entry] of this.entries) {
      if (entry.savedAt > oldest) break;
      this.entries.delete(key);
    }
  }
}
