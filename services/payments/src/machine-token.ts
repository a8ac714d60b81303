/**
 * Payments as a machine client of the platform's enterprise issuer: access tokens for the other
 * APIs (notifications) by client credentials (RFC 6749 §4.4, `client_secret_basic`), asked for
 * once and kept until a minute before they expire. Concurrent callers share one request.
 */
export interface MachineTokens {
  /** A valid access token, from the cache or a new one. */
  token(): Promise<string>;
  /** Drops `token` from the cache (the API refused it), so the next call asks for another. */
  invalidate(token: string): void;
}

export interface MachineTokenOptions {
  /** The issuer's token endpoint (…/auth/enterprise/token). */
  tokenUrl: string;
  clientId: string;
  /** Sent in the Authorization header only; never logged, never in an error. */
  clientSecret: string;
  scope: string;
  /** The API's resource indicator (RFC 8707), when the issuer needs one to pick the audience. */
  resource?: string;
  timeoutMs?: number;
  /** The clock (tests move it). */
  now?: () => number;
}

/** The issuer gave no token: its answer's status and OAuth error code, never the secret. */
export class MachineTokenError extends Error {
  override name = 'MachineTokenError';
}

// Renewed this long before it expires: a token that expires in flight is refused by the API.
const MARGIN_MS = 60_000;

/** RFC 6749 §2.3.1: the id and secret are form-encoded before they are joined and base64-encoded. */
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

export function machineTokens({ tokenUrl, clientId, clientSecret, scope, resource, timeoutMs = 5_000, now = Date.now }: MachineTokenOptions): MachineTokens {
  let cached: { value: string; renewAt: number } | undefined;
  let inFlight: Promise<string> | undefined;

  async function fetchToken(): Promise<string> {
    const form = new URLSearchParams({ grant_type: 'client_credentials', scope });
    if (resource) form.set('resource', resource);
    let response: Response;
    try {
      response = await fetch(tokenUrl, {
        method: 'POST',
        headers: { authorization: basic(clientId, clientSecret), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new MachineTokenError(`the token endpoint did not answer: ${String((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name)}`);
    }
    const body = (await response.json().catch(() => ({}))) as { access_token?: unknown; expires_in?: unknown; error?: unknown };
    if (!response.ok || typeof body.access_token !== 'string') {
      throw new MachineTokenError(`the token endpoint answered ${response.status}${typeof body.error === 'string' ? ` ${body.error}` : ''}`);
    }
    const lifetimeMs = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in * 1000 : 0;
    cached = { value: body.access_token, renewAt: now() + lifetimeMs - MARGIN_MS };
    return body.access_token;
  }

  return {
    token() {
      if (cached && now() < cached.renewAt) return Promise.resolve(cached.value);
      inFlight ??= fetchToken().finally(() => (inFlight = undefined));
      return inFlight;
    },
    invalidate(token) {
      if (cached?.value === token) cached = undefined;
    },
  };
}
