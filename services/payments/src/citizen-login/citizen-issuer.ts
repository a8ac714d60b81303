import { createHash } from 'node:crypto';
import { keysUnavailable } from '@tamkeen/http-kit';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';

/** The levels of assurance (identity's oidc/assurance.ts), lowest first; a payment above a threshold needs `substantial` or more. */
export const LOA = { low: 'urn:tamkeen:loa:low', substantial: 'urn:tamkeen:loa:substantial', high: 'urn:tamkeen:loa:high' } as const;
const ENOUGH: readonly string[] = [LOA.substantial, LOA.high];

export interface IssuerClientOptions {
  /** The issuer as browsers and its ID tokens name it: `<PUBLIC_URL>/auth/citizen` (or `/auth/enterprise`). */
  issuer: string;
  /** Where payments reaches it inside the platform: identity's origin (the issuer's path is added) or the issuer's full internal URL. */
  internalUrl: string;
  clientId: string;
  clientSecret: string;
  /** The relying party's one redirect URI: `<PUBLIC_URL>/pay/login/callback` for every payment's login. */
  redirectUri: string;
  timeoutMs?: number;
  /** Space-separated scopes asked for (`openid` by default). */
  scope?: string;
  /** `prompt=login`: the person authenticates again even with a session at the issuer (a console shared between officers). */
  prompt?: 'login';
  /** Who the issuer is, in messages and logs, and the variables that name it: the citizen issuer by default. */
  names?: { label: string; issuerVariable: string; internalUrlVariable: string };
}

/** The payment page's relying party of the citizen issuer (the defaults of IssuerClientOptions). */
export type CitizenIssuerOptions = Omit<IssuerClientOptions, 'scope' | 'prompt' | 'names'>;

/** Who logged in, and how, from a verified ID token. */
export interface IssuerLogin {
  sub: string;
  acr: string;
  amr: string[];
  /** When the person last authenticated (the ID token's auth_time), when it says. */
  authTime: Date | undefined;
  /** Every claim of the verified ID token (an enterprise login's organisation_id and roles, a name...). */
  claims: JWTPayload;
}

export type CitizenLogin = IssuerLogin;

/** The issuer could not be asked (down, timing out, answering 5xx): the person may try again. */
export class IssuerUnavailable extends Error {}

/** The issuer's answer cannot be used (to pay, to open the console): a refused code, an ID token that fails a check, too low a level. */
export class LoginRefused extends Error {
  constructor(readonly reason: 'code_refused' | 'id_token_invalid' | 'nonce_mismatch' | 'acr_too_low', detail: string) {
    super(detail);
  }
}

interface Endpoints {
  /** Public: the browser is sent there. */
  authorization: string;
  /** Internal: the back channel. */
  token: string;
  jwks: ReturnType<typeof createRemoteJWKSet>;
}

const CITIZEN_NAMES = { label: 'the citizen issuer', issuerVariable: 'CITIZEN_ISSUER', internalUrlVariable: 'CITIZEN_ISSUER_INTERNAL_URL' };

/** PKCE (RFC 7636) S256: the challenge of a verifier. */
export const codeChallengeOf = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

/** RFC 6749 §2.3.1: the client id and secret are form-encoded before Basic. */
const formEncoded = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');

/**
 * A relying party of one of identity's issuers — the payment page's of the citizen issuer, the
 * finance console's of the enterprise issuer: authorization code with PKCE, state and nonce,
 * `acr_values=urn:tamkeen:loa:substantial`, `client_secret_basic`. Written with jose
 * rather than openid-client because the issuer has two addresses: the browser goes to the public
 * one, and the back channel (discovery, token endpoint, keys) uses the internal one, while the
 * issuer's name in its metadata and tokens stays the public one. Discovery is read internally, its
 * issuer checked against `issuer`, and each endpoint's path put on the right origin (the gateway
 * passes identity's paths unchanged). The ID token's signature is verified (the back channel may be
 * plain HTTP inside the platform), with its issuer, audience, expiry, nonce and level.
 */
export function issuerClient({ issuer, internalUrl, clientId, clientSecret, redirectUri, timeoutMs = 10_000, scope = 'openid', prompt, names = CITIZEN_NAMES }: IssuerClientOptions) {
  const { label } = names;
  const internal = new URL(internalUrl);
  const internalBase = internal.pathname === '/' ? `${internal.origin}${new URL(issuer).pathname}` : internalUrl.replace(/\/$/, '');
  let endpoints: Promise<Endpoints> | undefined;

  async function call(url: string, init: RequestInit = {}): Promise<Response> {
    try {
      return await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      throw new IssuerUnavailable(`${label} did not answer at ${new URL(url).origin}: ${String((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name)}`);
    }
  }

  /** The issuer's endpoints, from its discovery document (read once; again after a failure). */
  function discover(): Promise<Endpoints> {
    endpoints ??= (async () => {
      const response = await call(`${internalBase}/.well-known/openid-configuration`, { headers: { accept: 'application/json' } });
      if (!response.ok) throw new IssuerUnavailable(`${label}'s discovery answered ${response.status}`);
      const metadata = (await response.json()) as { issuer?: unknown; authorization_endpoint?: unknown; token_endpoint?: unknown; jwks_uri?: unknown };
      if (metadata.issuer !== issuer) throw new IssuerUnavailable(`the issuer at ${names.internalUrlVariable} names itself ${String(metadata.issuer)}, not ${names.issuerVariable} ${issuer}`);
      const pathOf = (value: unknown, name: string) => {
        if (typeof value !== 'string' || !URL.canParse(value)) throw new IssuerUnavailable(`${label}'s discovery has no ${name}`);
        return new URL(value).pathname;
      };
      return {
        authorization: `${new URL(issuer).origin}${pathOf(metadata.authorization_endpoint, 'authorization_endpoint')}`,
        token: `${internal.origin}${pathOf(metadata.token_endpoint, 'token_endpoint')}`,
        jwks: createRemoteJWKSet(new URL(`${internal.origin}${pathOf(metadata.jwks_uri, 'jwks_uri')}`), { timeoutDuration: timeoutMs, cooldownDuration: 30_000 }),
      };
    })().catch((error: unknown) => {
      endpoints = undefined;
      throw error;
    });
    return endpoints;
  }

  return {
    /** Where to send the browser: the issuer's authorization endpoint with this login's state, nonce and PKCE challenge. */
    async authorizationUrl({ state, nonce, codeVerifier, lang }: { state: string; nonce: string; codeVerifier: string; lang: 'ar' | 'en' }): Promise<string> {
      const url = new URL((await discover()).authorization);
      url.search = new URLSearchParams({
        client_id: clientId,
        response_type: 'code',
        redirect_uri: redirectUri,
        scope,
        state,
        nonce,
        code_challenge: codeChallengeOf(codeVerifier),
        code_challenge_method: 'S256',
        acr_values: LOA.substantial,
        ui_locales: lang,
        ...(prompt ? { prompt } : {}),
      }).toString();
      return url.toString();
    },

    /** Exchanges the code on the back channel and verifies the ID token: who logged in, at substantial or high. */
    async redeem({ code, codeVerifier, nonce }: { code: string; codeVerifier: string; nonce: string }): Promise<IssuerLogin> {
      const { token, jwks } = await discover();
      const response = await call(token, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${formEncoded(clientId)}:${formEncoded(clientSecret)}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: codeVerifier }).toString(),
      });
      if (response.status >= 500) throw new IssuerUnavailable(`${label}'s token endpoint answered ${response.status}`);
      const body = (await response.json().catch(() => ({}))) as { id_token?: unknown; error?: unknown };
      if (!response.ok || typeof body.id_token !== 'string') {
        throw new LoginRefused('code_refused', `the token endpoint refused the code (${response.status} ${typeof body.error === 'string' ? body.error : 'no id_token'})`);
      }
      let claims: JWTPayload;
      try {
        ({ payload: claims } = await jwtVerify(body.id_token, jwks, { issuer, audience: clientId, algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'], requiredClaims: ['sub', 'iat', 'exp'], clockTolerance: 30 }));
      } catch (error) {
        if (keysUnavailable(error)) throw new IssuerUnavailable(`${label}'s keys could not be fetched: ${(error as Error).message}`);
        throw new LoginRefused('id_token_invalid', `the ID token failed verification: ${(error as { code?: string }).code ?? (error as Error).name}`);
      }
      if (claims.azp !== undefined && claims.azp !== clientId) throw new LoginRefused('id_token_invalid', 'the ID token was issued to another client (azp)');
      if (claims.nonce !== nonce) throw new LoginRefused('nonce_mismatch', 'the ID token does not carry the nonce this login sent');
      const acr = typeof claims.acr === 'string' ? claims.acr : '';
      if (!ENOUGH.includes(acr)) throw new LoginRefused('acr_too_low', `the login is at ${acr || 'no level'}, below ${LOA.substantial}`);
      if (typeof claims.sub !== 'string' || claims.sub === '') throw new LoginRefused('id_token_invalid', 'the ID token names nobody');
      return {
        sub: claims.sub,
        acr,
        amr: Array.isArray(claims.amr) ? claims.amr.filter((m): m is string => typeof m === 'string') : [],
        authTime: typeof claims.auth_time === 'number' ? new Date(claims.auth_time * 1000) : undefined,
        claims,
      };
    },
  };
}

export type IssuerClient = ReturnType<typeof issuerClient>;

/** The payment page's relying party of the citizen issuer (`scope=openid`). */
export const citizenIssuer = (options: CitizenIssuerOptions): IssuerClient => issuerClient(options);

export type CitizenIssuer = IssuerClient;
