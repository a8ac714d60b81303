import type { Knex } from '@tamkeen/db';
import type Provider from 'oidc-provider';
import type { IdentityConfig } from './config.js';
import { citizenAccounts } from './accounts/citizen-accounts.js';
import { citizenClaims } from './accounts/citizen-claims.js';
import { enterpriseClaims, enterpriseUsers, staffApiScopes, type Role } from './accounts/enterprise-users.js';
import { signingKeys } from './keys/signing-keys.js';
import { createProvider, type IssuerKind } from './oidc/provider.js';
import { apiResources } from './oidc/resource-servers.js';

export type IdentityProviders = Record<IssuerKind, Provider>;

/** Identity's X-Road client keys (private, newest first): they sign its requests to the register. */
export function xRoadKeys(knex: Knex) {
  return signingKeys(knex, 'x-road', ['ES256']);
}

/** Both issuers, with their keys from PostgreSQL (made on first start). */
export async function identityProviders(config: IdentityConfig, knex: Knex): Promise<IdentityProviders> {
  const resources = apiResources(config.PUBLIC_URL);
  const accounts = citizenAccounts(knex);
  const users = enterpriseUsers(knex);
  const make = async (kind: IssuerKind) =>
    createProvider({
      kind,
      issuer: `${config.PUBLIC_URL}/auth/${kind}`,
      knex,
      keys: await signingKeys(knex, kind),
      cookieKeys: config.COOKIE_KEYS,
      resources,
      accessTokenTtlS: config.ACCESS_TOKEN_TTL_S,
      ...(kind === 'citizen'
        ? // Citizens' logins carry no API scopes: the APIs are for organisations.
          { findAccount: citizenClaims(accounts), resourceScopePolicy: async () => () => false }
        : {
            findAccount: enterpriseClaims(users),
            accountClaimsInAccessTokens: ['organisation_id', 'roles'],
            // A staff member is granted only the API scopes their roles allow, and only through
            // their own organisation's relying parties.
            resourceScopePolicy: async (ctx) => {
              const { roles = [], organisation_id: organisationId } = (await ctx.oidc.account!.claims('id_token', 'openid', {}, [])) as { roles?: Role[]; organisation_id?: string };
              const clientOrganisation = (ctx.oidc.client as unknown as { organisation_id?: string } | undefined)?.organisation_id;
              const allowed = organisationId ? staffApiScopes({ organisationId, roles }, clientOrganisation) : new Set<string>();
              return (scope) => allowed.has(scope);
            },
          }),
    });
  return { citizen: await make('citizen'), enterprise: await make('enterprise') };
}
