import type { Redis } from '@tamkeen/db';
import { Forbidden, keysUnavailable, ServiceUnavailable, Unauthorized } from '@tamkeen/http-kit';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { Member } from '../config.js';

/** The longest life a client assertion may have: each is for one request. */
const MAX_ASSERTION_AGE_S = 300;

export type RegisterService = 'verify' | 'citizens';

export interface MemberAuthenticationOptions {
  members: readonly Member[];
  /** The register's own X-Road identifier: the `aud` of every assertion. */
  service: string;
  redis: Redis;
  prefix: string;
}

/**
 * Who is asking: the member named in `X-Road-Client`, proven by a client assertion (RFC 7523: a
 * JWT with iss = sub = the client, aud = the register, a short life and a jti never seen before)
 * in `Authorization: Bearer`, signed with a key the member publishes at its `jwks_uri`. A bare
 * header proves nothing: an unknown member, a missing, forged, stale or replayed assertion is a
 * 401; a member asking for a service it was not granted, a 403.
 */
export function memberAuthentication({ members, service, redis, prefix }: MemberAuthenticationOptions) {
  const byClient = new Map(members.map((m) => [m.client, m]));
  const keySets = new Map<string, JWTVerifyGetKey>();
  const keysOf = (m: Member) => {
    let keys = keySets.get(m.client);
    if (!keys) keySets.set(m.client, (keys = createRemoteJWKSet(new URL(m.jwks_uri), { timeoutDuration: 2_000, cooldownDuration: 30_000 })));
    return keys;
  };

  return async function authenticate(clientHeader: string | undefined, authorization: string | undefined, wanted: RegisterService): Promise<Member> {
    if (!clientHeader) throw new Unauthorized('Name your client in X-Road-Client (INSTANCE/CLASS/MEMBER/SUBSYSTEM).', { code: 'unknown_client' });
    const member = byClient.get(clientHeader);
    if (!member) throw new Unauthorized(`${clientHeader} is not a member allowed to use the register.`, { code: 'unknown_client' });
    const assertion = /^Bearer ([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+)$/.exec(authorization ?? '')?.[1];
    if (!assertion) throw new Unauthorized('Prove the client with a signed client assertion: Authorization: Bearer <JWT>.', { code: 'invalid_client' });
    let claims;
    try {
      ({ payload: claims } = await jwtVerify(assertion, keysOf(member), {
        issuer: member.client,
        subject: member.client,
        audience: service,
        maxTokenAge: MAX_ASSERTION_AGE_S,
        requiredClaims: ['exp', 'iat', 'jti'],
        clockTolerance: 30,
      }));
    } catch (error) {
      const { code, claim } = error as { code?: string; claim?: string };
      if (keysUnavailable(error)) {
        throw new ServiceUnavailable(`The keys of ${member.client} cannot be fetched right now; try again shortly.`, { code: 'temporarily_unavailable', headers: { 'Retry-After': '5' }, cause: error });
      }
      const why = code === 'ERR_JWT_EXPIRED' ? 'has expired' : code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' ? `has a ${claim} claim that is not accepted here` : 'is not signed by this client';
      throw new Unauthorized(`The client assertion ${why}.`, { code: 'invalid_client' });
    }
    // Each assertion once: a captured one cannot be played again.
    const ttlMs = Math.max(1_000, ((claims.exp ?? 0) + 30) * 1000 - Date.now());
    const first = await redis.set(`${prefix}:assertion:${member.client}:${String(claims.jti)}`, '1', 'PX', ttlMs, 'NX');
    if (first !== 'OK') throw new Unauthorized('This client assertion was used before; sign a new one for each request.', { code: 'invalid_client' });
    if (!member.services.includes(wanted)) throw new Forbidden(`${member.client} may not use the register's ${wanted} service.`, { code: 'service_not_granted' });
    return member;
  };
}

export type MemberAuthenticator = ReturnType<typeof memberAuthentication>;
