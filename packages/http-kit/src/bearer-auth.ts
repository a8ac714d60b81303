import type { Request, RequestHandler, Response } from 'express';
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { Forbidden, HttpError, ServiceUnavailable, Unauthorized } from './errors.js';

/** Who is calling, from a verified access token. */
export interface Caller {
  clientId: string;
  /** The organisation (ministry or business) the client belongs to; it owns what the call creates. */
  organisationId: string;
  scopes: ReadonlySet<string>;
  /** The end user, when the token was issued for one; absent for client credentials. */
  subject: string | undefined;
  claims: JWTPayload;
}

export type AccessTokenOptions = (
  | {
      /** The enterprise issuer's JWKS, e.g. http://identity:4001/auth/enterprise/jwks. */
      jwksUrl: string;
      keys?: never;
    }
  | {
      /** The issuer's keys at hand (the issuer verifying its own tokens): a jose key getter. */
      keys: JWTVerifyGetKey;
      jwksUrl?: never;
    }
) & {
  issuer: string;
  /** This API's resource indicator, the `aud` its tokens must carry. */
  audience: string;
  clockToleranceS?: number;
  /**
   * How long a token verified once is taken on trust (never past its expiry): checking an ES256
   * signature is most of what a small request costs. A key the issuer withdraws stops being
   * honoured for cached tokens after this long. Default 300 s; 0 turns the cache off.
   */
  verifiedCacheS?: number;
};

/** The most verified tokens remembered (a machine client reuses one token for its whole life). */
const VERIFIED_CACHE_ENTRIES = 10_000;

export type AccessTokenVerifier = (token: string) => Promise<Caller>;

const REALM = 'tamkeen';

function challenge(error: string, description: string, extra = ''): Record<string, string> {
  // A header value must be plain ASCII: typographic quotes become straight ones, the rest is dropped.
  const quoted = description.replace(/[\u2018\u2019]/g, "'").replace(/["\\]|[^\x20-\x7e]/g, '');
  return { 'WWW-Authenticate': `Bearer realm="${REALM}", error="${error}", error_description="${quoted}"${extra}` };
}

/**
 * Verifies RFC 9068 JWT access tokens (`typ: at+jwt`) against the issuer's JWKS with jose: signature,
 * issuer, audience, expiry. The JWKS is fetched when first needed and again when a token names a key
 * it does not know (key rotation). A token that passed is remembered until it expires (at most
 * `verifiedCacheS`), so a client's repeated calls cost one signature check.
 */
export function accessTokenVerifier({ jwksUrl, keys: givenKeys, issuer, audience, clockToleranceS = 30, verifiedCacheS = 300 }: AccessTokenOptions): AccessTokenVerifier {
  const keys = givenKeys ?? createRemoteJWKSet(new URL(jwksUrl!), { timeoutDuration: 2_000, cooldownDuration: 30_000 });
  const verified = new Map<string, { caller: Caller; until: number }>();
  return async (token) => {
    const known = verified.get(token);
    if (known && Date.now() < known.until) return known.caller;
    if (known) verified.delete(token);
    const caller = await verifyToken(token);
    const expires = typeof caller.claims.exp === 'number' ? (caller.claims.exp + clockToleranceS) * 1000 : 0;
    if (verifiedCacheS > 0 && expires > Date.now()) {
      if (verified.size >= VERIFIED_CACHE_ENTRIES) verified.delete(verified.keys().next().value!);
      verified.set(token, { caller, until: Math.min(expires, Date.now() + verifiedCacheS * 1000) });
    }
    return caller;
  };

  async function verifyToken(token: string): Promise<Caller> {
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, keys, { issuer, audience, typ: 'at+jwt', clockTolerance: clockToleranceS }));
    } catch (error) {
      throw tokenError(error);
    }
    const clientId = typeof claims.client_id === 'string' ? claims.client_id : undefined;
    const organisationId = typeof claims.organisation_id === 'string' ? claims.organisation_id : undefined;
    if (!clientId || !organisationId) {
      const detail = 'The access token names no client_id or organisation_id.';
      throw new Unauthorized(detail, { code: 'invalid_token', headers: challenge('invalid_token', detail) });
    }
    const scopes = new Set(typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : []);
    // RFC 9068 names the client as the subject of a client-credentials token: no end user then.
    const subject = typeof claims.sub === 'string' && claims.sub !== clientId ? claims.sub : undefined;
    return { clientId, organisationId, scopes, subject, claims };
  }
}

/**
 * Whether a jose verification failed because the signer's published keys (a remote JWKS) could not
 * be fetched, rather than because the token is bad: a 503 to retry, not a 401. jose's errors are
 * told apart by their code (instanceof fails across realms, as under Jest).
 */
export function keysUnavailable(error: unknown): boolean {
  const { code, name, message } = error as { code?: string; name?: string; message?: string };
  return (
    code === 'ERR_JWKS_TIMEOUT' ||
    code === 'ERR_JWKS_INVALID' ||
    (code === 'ERR_JOSE_GENERIC' && /JSON Web Key Set/.test(message ?? '')) || // the issuer answered, but not 200
    (name === 'TypeError' && code === undefined) // fetch failed: nothing listens there
  );
}

function tokenError(error: unknown): HttpError {
  // A key getter's own answer (e.g. its store is unreachable: 503) stands.
  if (error instanceof HttpError) return error;
  const { code, claim } = error as { code?: string; claim?: string };
  if (keysUnavailable(error)) {
    return new ServiceUnavailable('Access tokens cannot be verified right now (the issuer’s keys are unreachable); try again shortly.', {
      code: 'temporarily_unavailable',
      headers: { 'Retry-After': '5' },
      cause: error,
    });
  }
  const detail =
    code === 'ERR_JWT_EXPIRED'
      ? 'The access token has expired.'
      : code === 'ERR_JWT_CLAIM_VALIDATION_FAILED'
        ? `The access token’s ${claim ?? 'claims'} claim is not accepted here.`
        : code === 'ERR_JWKS_NO_MATCHING_KEY'
          ? 'The access token is signed with a key the issuer does not publish.'
          : 'The access token is not valid.';
  return new Unauthorized(detail, { code: 'invalid_token', headers: challenge('invalid_token', detail) });
}

const CALLER = 'tamkeen:caller';

/** The caller that `requireScope` verified for this request. */
export function callerOf(res: Response): Caller {
  const caller = res.locals[CALLER] as Caller | undefined;
  if (!caller) throw new Error('callerOf() used on a route without requireScope()');
  return caller;
}

/** The request's bearer token; without one, a 401 with the RFC 6750 WWW-Authenticate header. */
export function bearerTokenOf(req: Request): string {
  const header = req.headers.authorization;
  const match = header === undefined ? null : /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(header);
  if (!match?.[1]) {
    const detail = header === undefined ? 'This API needs an access token: Authorization: Bearer <token>.' : 'The Authorization header is not a bearer token.';
    throw new Unauthorized(detail, {
      code: header === undefined ? 'unauthorized' : 'invalid_request',
      headers: { 'WWW-Authenticate': header === undefined ? `Bearer realm="${REALM}"` : challenge('invalid_request', detail)['WWW-Authenticate']! },
    });
  }
  return match[1];
}

/** The 403 `insufficient_scope` answer (RFC 6750) naming the scopes that would do. */
export function insufficientScope(scopes: readonly string[], detail = `This needs the ${scopes.join(' or ')} scope.`): Forbidden {
  return new Forbidden(detail, { code: 'insufficient_scope', headers: challenge('insufficient_scope', detail, `, scope="${scopes.join(' ')}"`) });
}

/**
 * Lets the request through when it carries a valid bearer token with one of `scopes`; otherwise
 * 401 (no or bad token) or 403 (`insufficient_scope`), with the RFC 6750 WWW-Authenticate header.
 */
export function requireScope(verify: AccessTokenVerifier, ...scopes: string[]): RequestHandler {
  return async (req, res, next) => {
    const caller = await verify(bearerTokenOf(req));
    if (!scopes.some((scope) => caller.scopes.has(scope))) throw insufficientScope(scopes);
    res.locals[CALLER] = caller;
    next();
  };
}
