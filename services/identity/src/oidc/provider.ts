import type { Knex } from '@tamkeen/db';
import type { JWK } from 'jose';
import Provider, { errors, interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { LOA, needsStepUp } from './assurance.js';
import { loggedOutPage, logoutPage } from './logout-pages.js';
import { firstPartyGrants, isThirdParty, type ResourceScopePolicy } from './first-party-grants.js';
import { postgresAdapter } from './postgres-adapter.js';
import { apiScopes, resourceForScopes, type ApiResource } from './resource-servers.js';

export type IssuerKind = 'citizen' | 'enterprise';

export interface ProviderOptions {
  kind: IssuerKind;
  /** The issuer identifier: the public origin + /auth/<kind>. */
  issuer: string;
  knex: Knex;
  /** Private signing keys, newest first (signingKeys()). */
  keys: JWK[];
  /** Secrets that sign the provider's cookies; the first signs, all verify (rotate by prepending). */
  cookieKeys: string[];
  resources: readonly ApiResource[];
  /** Machine clients' access tokens live this long (seconds). */
  accessTokenTtlS: number;
  /** The issuer's accounts (citizens, or organisations' staff): the claims of a `sub`. */
  findAccount?: Configuration['findAccount'];
  /** The account's claims that go into its access tokens too (the enterprise issuer: organisation and roles). */
  accountClaimsInAccessTokens?: readonly string[];
  /** Which API scopes a logged-in account may be granted (the enterprise issuer: by roles, own organisation only); none when absent. */
  resourceScopePolicy?: ResourceScopePolicy;
}

/**
 * One OpenID Provider (node-oidc-provider) per issuer. Everything it stores goes to PostgreSQL;
 * its keys come from PostgreSQL; the development keystore and interactions are off. The
 * enterprise issuer grants client credentials to machine clients for the platform's APIs, as JWT
 * access tokens naming the client's organisation.
 */
export function createProvider({ kind, issuer, knex, keys, cookieKeys, resources, accessTokenTtlS, findAccount, accountClaimsInAccessTokens = [], resourceScopePolicy }: ProviderOptions): Provider {
  const resourceServer = (api: ApiResource) => ({
    scope: api.scopes.join(' '),
    audience: api.audience,
    accessTokenFormat: 'jwt' as const,
    accessTokenTTL: accessTokenTtlS,
    jwt: { sign: { alg: 'ES256' as const } },
  });
  const configuration: Configuration = {
    adapter: postgresAdapter(knex, kind),
    jwks: { keys: keys as Configuration['jwks'] extends { keys: infer K } | undefined ? K : never },
    cookies: { keys: cookieKeys },
    ...(findAccount ? { findAccount } : {}),
    // What a ministry's relying party asks for is granted at login (no consent step); on the citizen
    // issuer a business's relying party asks the citizen first (the consent page).
    loadExistingGrant: firstPartyGrants(resourceScopePolicy, kind === 'citizen' ? isThirdParty : () => false),
    // Our own pages (interaction/), on the issuer's path.
    interactions: { url: (_ctx, interaction) => `/auth/${kind}/interaction/${interaction.uid}`, policy: loginPolicy() },
    acrValues: [LOA.low, LOA.substantial, LOA.high],
    claims: {
      // Every ID token says how the person logged in: acr, amr and auth_time go with `openid`.
      // Staff tokens also say whose organisation and which roles.
      openid: ['sub', 'acr', 'amr', 'auth_time', ...(kind === 'enterprise' ? ['organisation_id', 'roles'] : [])],
      profile: ['name', 'name#ar', 'name#en', 'birthdate', 'locale'],
      phone: ['phone_number', 'phone_number_verified'],
      email: ['email', 'email_verified'],
      national_id: ['national_id'],
    },
    pkce: { required: () => true },
    // The ID token says who logged in and how (acr, amr, auth_time) and carries the claims of the
    // scopes granted, not only those asked for by name: what relying parties here expect.
    conformIdTokenClaims: false,
    extraClientMetadata: { properties: ['organisation_id', 'organisation_kind', 'organisation_name_ar', 'organisation_name_en'] },
    scopes: ['openid', 'offline_access', 'profile', 'phone', 'email', ...(kind === 'citizen' ? ['national_id'] : []), ...(kind === 'enterprise' ? apiScopes(resources) : [])],
    clientDefaults: { grant_types: ['authorization_code'], id_token_signed_response_alg: 'RS256', response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' },
    enabledJWA: { clientAuthSigningAlgValues: ['ES256', 'RS256', 'PS256', 'EdDSA'] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: kind === 'enterprise' },
      // A client learns about, and revokes, only the tokens it was given: one ministry's service
      // never probes another's citizens' tokens (the APIs verify JWT access tokens themselves).
      introspection: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => {
          if (token.clientId !== client.clientId) throw new errors.InvalidRequest('this client may revoke only its own tokens');
          return true;
        },
      },
      rpInitiatedLogout: { enabled: true, logoutSource: logoutPage, postLogoutSuccessSource: loggedOutPage },
      backchannelLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // No `resource`: the API that every requested scope belongs to. Scopes of several APIs
        // need `resource` (a token is for one audience).
        defaultResource: (ctx: KoaContextWithOIDC) => {
          const scope = ctx.oidc.params?.scope as string | undefined;
          const api = resourceForScopes(resources, scope);
          if (!api && resources.some((r) => r.scopes.some((s) => (scope ?? '').split(' ').includes(s)))) {
            throw new errors.InvalidTarget('these scopes belong to several APIs: name the one this token is for with `resource`');
          }
          return api?.audience;
        },
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: KoaContextWithOIDC, indicator: string) => {
          const api = resources.find((r) => r.audience === indicator);
          if (!api) throw new errors.InvalidTarget(`${indicator} is not one of the platform's APIs`);
          return resourceServer(api);
        },
      },
    },
    // The organisation that owns what the token's calls create.
    // Every refresh gives a new refresh token; the old one is spent, and a spent one presented
    // again revokes the whole grant (a stolen token is found out).
    rotateRefreshToken: true,
    // An end user's access token says how they logged in (acr, amr, auth_time, from the code or
    // refresh token it was exchanged for), so an API can ask for a level as a relying party does.
    extraTokenClaims: async (ctx, token) => {
      const client = ctx.oidc.client ?? (await ctx.oidc.provider.Client.find(token.clientId!));
      const organisationId = (client as unknown as { organisation_id?: string } | undefined)?.organisation_id;
      const claims: Record<string, unknown> = organisationId ? { organisation_id: organisationId } : {};
      const accountId = (token as { accountId?: string }).accountId;
      if (accountId) {
        const login = (ctx.oidc.entities.AuthorizationCode ?? ctx.oidc.entities.RefreshToken) as { acr?: string; amr?: string[]; authTime?: number } | undefined;
        if (login?.acr) claims.acr = login.acr;
        if (login?.amr) claims.amr = login.amr;
        if (login?.authTime) claims.auth_time = login.authTime;
        // The account oidc-provider loaded for this grant: no second read.
        const account = ctx.oidc.account;
        if (account?.accountId === accountId && accountClaimsInAccessTokens.length > 0) {
          const all = await account.claims('userinfo', 'openid', {}, []);
          for (const name of accountClaimsInAccessTokens) if (all[name] !== undefined) claims[name] = all[name];
        }
      }
      return Object.keys(claims).length > 0 ? claims : undefined;
    },
    // How long each thing lives. A government login is short-lived: the session an hour (a
    // working day for enterprise staff), so a shared or lost device is soon logged out; refresh
    // tokens a day; everything else minutes.
    ttl: {
      ClientCredentials: accessTokenTtlS,
      AccessToken: accessTokenTtlS,
      AuthorizationCode: 60,
      BackchannelAuthenticationRequest: 600,
      DeviceCode: 600,
      IdToken: 600,
      Interaction: 3_600,
      Session: kind === 'citizen' ? 3_600 : 8 * 3_600,
      Grant: 24 * 3_600,
      RefreshToken: 24 * 3_600,
    },
  };
  const provider = new Provider(issuer, configuration);
  // Behind the gateway: the public origin comes from X-Forwarded-Host/Proto.
  provider.proxy = true;
  return provider;
}

/**
 * oidc-provider's prompts, with one more reason to ask the citizen to log in: the relying party
 * wants a higher level than the session has (step-up). The pages then ask only for what is missing;
 * with prompt=none the answer is `login_required`.
 */
function loginPolicy() {
  const policy = interactionPolicy.base();
  policy.get('login')!.checks.add(new interactionPolicy.Check('acr_step_up', 'the relying party asks for a higher level of assurance', 'login_required', (ctx) => needsStepUp(ctx)));
  return policy;
}
