import { randomBytes, randomUUID } from 'node:crypto';
import type { Knex } from '@tamkeen/db';

export interface NewOrganisation {
  id: string;
  nameAr: string;
  nameEn: string;
  kind: 'ministry' | 'business';
}

export async function addOrganisation(knex: Knex, organisation: NewOrganisation): Promise<void> {
  await knex('organisations').insert({ id: organisation.id, name_ar: organisation.nameAr, name_en: organisation.nameEn, kind: organisation.kind });
}

/**
 * A machine client of an organisation (client credentials, `client_secret_basic`) allowed the
 * given API scopes. The secret is returned once, to be handed to the ministry.
 */
export async function addMachineClient(
  knex: Knex,
  { organisationId, name, scopes, jwks }: { organisationId: string; name: string; scopes: readonly string[]; jwks?: { keys: object[] } },
): Promise<{ clientId: string; clientSecret: string | undefined }> {
  const clientId = `${organisationId}-${randomUUID().slice(0, 8)}`;
  // With public keys, the client proves itself with signed assertions (private_key_jwt): no shared secret.
  const clientSecret = jwks ? undefined : randomBytes(32).toString('base64url');
  await knex('oidc_clients').insert({
    client_id: clientId,
    issuer: 'enterprise',
    organisation_id: organisationId,
    name,
    metadata: {
      ...(jwks ? { jwks, token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256' } : { client_secret: clientSecret, token_endpoint_auth_method: 'client_secret_basic' }),
      client_name: name,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: scopes.join(' '),
    },
  });
  return { clientId, clientSecret };
}

/**
 * A relying party (authorization code with PKCE, `client_secret_basic`) of the citizen issuer, or
 * of the enterprise issuer for services used by organisations' staff; its redirect URIs are
 * matched exactly. The secret is returned once.
 */
export async function addRelyingParty(
  knex: Knex,
  {
    organisationId,
    name,
    redirectUris,
    postLogoutRedirectUris = [],
    backchannelLogoutUri,
    issuer = 'citizen',
  }: { organisationId: string; name: string; redirectUris: readonly string[]; postLogoutRedirectUris?: readonly string[]; backchannelLogoutUri?: string; issuer?: 'citizen' | 'enterprise' },
): Promise<{ clientId: string; clientSecret: string }> {
  const clientId = `${organisationId}-${randomUUID().slice(0, 8)}`;
  const clientSecret = randomBytes(32).toString('base64url');
  await knex('oidc_clients').insert({
    client_id: clientId,
    issuer,
    organisation_id: organisationId,
    name,
    metadata: {
      client_secret: clientSecret,
      client_name: name,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: redirectUris,
      post_logout_redirect_uris: postLogoutRedirectUris,
      ...(backchannelLogoutUri ? { backchannel_logout_uri: backchannelLogoutUri, backchannel_logout_session_required: true } : {}),
      token_endpoint_auth_method: 'client_secret_basic',
    },
  });
  return { clientId, clientSecret };
}
