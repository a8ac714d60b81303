import { randomBytes, randomUUID } from 'node:crypto';

export type ClientKind = 'relying_party' | 'machine';
export type ClientIssuer = 'citizen' | 'enterprise';
export type AuthMethod = 'client_secret_basic' | 'private_key_jwt';

/** Public keys a machine client signs its client assertions with (private_key_jwt). */
export interface Jwks {
  keys: Array<Record<string, unknown>>;
}

/** oidc-provider's client metadata, as kept in `oidc_clients.metadata`. */
export interface ClientMetadata {
  client_name: string;
  client_secret?: string;
  token_endpoint_auth_method: AuthMethod;
  token_endpoint_auth_signing_alg?: string;
  grant_types: string[];
  response_types: string[];
  redirect_uris: string[];
  post_logout_redirect_uris?: string[];
  backchannel_logout_uri?: string;
  backchannel_logout_session_required?: boolean;
  /** A machine client's API scopes, space-separated. */
  scope?: string;
  jwks?: Jwks;
}

/** An organisation's client as registered. */
export interface RegisteredClient {
  clientId: string;
  organisationId: string;
  issuer: ClientIssuer;
  name: string;
  metadata: ClientMetadata;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewRelyingParty {
  organisationId: string;
  name: string;
  redirectUris: readonly string[];
  postLogoutRedirectUris?: readonly string[];
  backchannelLogoutUri?: string;
  issuer?: ClientIssuer;
}

export interface NewMachineClient {
  organisationId: string;
  name: string;
  scopes: readonly string[];
  jwks?: Jwks;
}

/** A change to a client: the fields given replace the registered ones; `null` removes the back-channel logout URI. */
export interface ClientEdit {
  name?: string;
  redirectUris?: readonly string[];
  postLogoutRedirectUris?: readonly string[];
  backchannelLogoutUri?: string | null;
  scopes?: readonly string[];
  jwks?: Jwks;
}

/** What anyone may see of a client, in the API's words: everything but its secret. */
export interface ClientDescription {
  kind: ClientKind;
  issuer: ClientIssuer;
  name: string;
  token_endpoint_auth_method: AuthMethod;
  redirect_uris?: string[];
  post_logout_redirect_uris?: string[];
  backchannel_logout_uri?: string;
  scopes?: string[];
  jwks?: Jwks;
}

/** 256 random bits: shown once, to be handed to the service. */
export const newClientSecret = () => randomBytes(32).toString('base64url');

export const newClientId = (organisationId: string) => `${organisationId}-${randomUUID().slice(0, 8)}`;

export const kindOf = (metadata: ClientMetadata): ClientKind => (metadata.grant_types.includes('client_credentials') ? 'machine' : 'relying_party');

/** Authorization code with PKCE and `client_secret_basic`; redirect URIs matched exactly. */
export function relyingPartyMetadata(rp: NewRelyingParty, clientSecret: string): ClientMetadata {
  return {
    client_secret: clientSecret,
    client_name: rp.name,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [...rp.redirectUris],
    post_logout_redirect_uris: [...(rp.postLogoutRedirectUris ?? [])],
    ...backchannelLogout(rp.backchannelLogoutUri),
    token_endpoint_auth_method: 'client_secret_basic',
  };
}

/** Client credentials with `client_secret_basic`, or with signed assertions (`private_key_jwt`, no secret at all) when it has keys. */
export function machineClientMetadata(client: NewMachineClient, clientSecret: string | undefined): ClientMetadata {
  return {
    ...(client.jwks ? { jwks: client.jwks, token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256' } : { client_secret: clientSecret, token_endpoint_auth_method: 'client_secret_basic' }),
    client_name: client.name,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: client.scopes.join(' '),
  };
}

function backchannelLogout(uri: string | undefined): Pick<ClientMetadata, 'backchannel_logout_uri' | 'backchannel_logout_session_required'> {
  return uri ? { backchannel_logout_uri: uri, backchannel_logout_session_required: true } : {};
}

/** The metadata with `edit` applied (the secret and what the kind fixes stay as they are). */
export function editedMetadata(metadata: ClientMetadata, edit: ClientEdit): ClientMetadata {
  const edited: ClientMetadata = { ...metadata };
  if (edit.name !== undefined) edited.client_name = edit.name;
  if (edit.redirectUris !== undefined) edited.redirect_uris = [...edit.redirectUris];
  if (edit.postLogoutRedirectUris !== undefined) edited.post_logout_redirect_uris = [...edit.postLogoutRedirectUris];
  if (edit.backchannelLogoutUri !== undefined) {
    delete edited.backchannel_logout_uri;
    delete edited.backchannel_logout_session_required;
    Object.assign(edited, backchannelLogout(edit.backchannelLogoutUri ?? undefined));
  }
  if (edit.scopes !== undefined) edited.scope = edit.scopes.join(' ');
  if (edit.jwks !== undefined) edited.jwks = edit.jwks;
  return edited;
}

export function describeClient({ issuer, name, metadata }: Pick<RegisteredClient, 'issuer' | 'name' | 'metadata'>): ClientDescription {
  const kind = kindOf(metadata);
  const common = { kind, issuer, name, token_endpoint_auth_method: metadata.token_endpoint_auth_method };
  if (kind === 'machine') {
    return { ...common, scopes: (metadata.scope ?? '').split(' ').filter(Boolean), ...(metadata.jwks ? { jwks: metadata.jwks } : {}) };
  }
  return {
    ...common,
    redirect_uris: metadata.redirect_uris,
    post_logout_redirect_uris: metadata.post_logout_redirect_uris ?? [],
    ...(metadata.backchannel_logout_uri ? { backchannel_logout_uri: metadata.backchannel_logout_uri } : {}),
  };
}
