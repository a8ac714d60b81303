import type { Knex } from '@tamkeen/db';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { forgetCachedClient } from '../oidc/postgres-adapter.js';
import { apiResources, machineClientScopes } from '../oidc/resource-servers.js';
import {
  describeClient,
  editedMetadata,
  kindOf,
  machineClientMetadata,
  newClientId,
  newClientSecret,
  relyingPartyMetadata,
  type ClientDescription,
  type ClientEdit,
  type ClientIssuer,
  type ClientMetadata,
  type NewMachineClient,
  type NewRelyingParty,
  type RegisteredClient,
} from './client.js';
import { OPERATOR, recordClientEvent, type Actor } from './client-events.js';
import { clientRepository } from './client-repository.js';

// The one place where organisations' clients are created, changed and removed: the operator's
// command line (admin.ts), the organisations' admin API and the platform's own clients declared in
// configuration (platform-clients.ts, at start-up) all come here. Every change is audited
// in its own transaction and applies at once to this process's client cache.

export interface NewOrganisation {
  id: string;
  nameAr: string;
  nameEn: string;
  kind: 'ministry' | 'business';
}

export async function addOrganisation(knex: Knex, organisation: NewOrganisation): Promise<void> {
  await knex('organisations').insert({ id: organisation.id, name_ar: organisation.nameAr, name_en: organisation.nameEn, kind: organisation.kind });
}

/** Checks metadata as the issuer will load it (oidc-provider's own rules); throws when it would not load. */
export type MetadataCheck = (issuer: ClientIssuer, client: { clientId: string; organisationId: string; metadata: ClientMetadata }) => Promise<void>;

export interface ChangeOptions {
  /** Who makes the change; the operator's command line when not said. */
  actor?: Actor;
  check?: MetadataCheck;
}

/** The client has no secret to rotate: it proves itself with keys (private_key_jwt). */
export class ClientHasNoSecret extends Error {
  constructor(readonly clientId: string) {
    super(`client ${clientId} authenticates with keys and has no secret`);
  }
}

/**
 * A machine client of an organisation (client credentials, `client_secret_basic`) allowed the
 * given API scopes. The secret is returned once, to be handed to the ministry.
 */
export async function addMachineClient(knex: Knex, client: NewMachineClient, options: ChangeOptions = {}): Promise<{ clientId: string; clientSecret: string | undefined }> {
  assertGrantableToMachines(client.scopes);
  // With public keys, the client proves itself with signed assertions (private_key_jwt): no shared secret.
  const clientSecret = client.jwks ? undefined : newClientSecret();
  const clientId = await register(knex, { organisationId: client.organisationId, issuer: 'enterprise', name: client.name, metadata: machineClientMetadata(client, clientSecret) }, options);
  return { clientId, clientSecret };
}

/**
 * A relying party (authorization code with PKCE, `client_secret_basic`) of the citizen issuer, or
 * of the enterprise issuer for services used by organisations' staff; its redirect URIs are
 * matched exactly. The secret is returned once.
 */
export async function addRelyingParty(knex: Knex, rp: NewRelyingParty, options: ChangeOptions = {}): Promise<{ clientId: string; clientSecret: string }> {
  const clientSecret = newClientSecret();
  const clientId = await register(knex, { organisationId: rp.organisationId, issuer: rp.issuer ?? 'citizen', name: rp.name, metadata: relyingPartyMetadata(rp, clientSecret) }, options);
  return { clientId, clientSecret };
}

async function register(knex: Knex, client: Pick<RegisteredClient, 'organisationId' | 'issuer' | 'name' | 'metadata'>, { actor = OPERATOR, check }: ChangeOptions, clientId = newClientId(client.organisationId)): Promise<string> {
  await check?.(client.issuer, { clientId, organisationId: client.organisationId, metadata: client.metadata });
  await knex.transaction(async (trx) => {
    await clientRepository.insert(trx, { clientId, ...client });
    await recordClientEvent(trx, { clientId, organisationId: client.organisationId, action: 'created', actor, changes: await audited(describeClient(client)) });
  });
  return clientId;
}

/**
 * A client whose id and secret its owner fixes, rather than this registry (the platform's own
 * clients, declared in configuration): each side is given them beforehand.
 */
export type FixedClient = { clientId: string; clientSecret: string } & ({ kind: 'machine'; client: NewMachineClient } | { kind: 'relying_party'; client: NewRelyingParty });

/**
 * Registers the client under its fixed id and secret, or brings the registered one to what is
 * given: name, redirect URIs or scopes as changeClient does, the secret as rotateClientSecret does,
 * each audited, and nothing written when all is as given. What else it has (post-logout URIs...)
 * stays. Its kind, issuer and way of authenticating never change (as through the API): that throws.
 */
export async function ensureClient(knex: Knex, { clientId, clientSecret, ...fixed }: FixedClient, options: ChangeOptions = {}): Promise<'created' | 'changed' | 'unchanged'> {
  const { organisationId, name } = fixed.client;
  const issuer: ClientIssuer = fixed.kind === 'machine' ? 'enterprise' : (fixed.client.issuer ?? 'citizen');
  const current = await clientRepository.find(knex, organisationId, clientId);
  if (!current) {
    if (fixed.kind === 'machine') assertGrantableToMachines(fixed.client.scopes);
    const metadata = fixed.kind === 'machine' ? machineClientMetadata(fixed.client, clientSecret) : relyingPartyMetadata(fixed.client, clientSecret);
    await register(knex, { organisationId, issuer, name, metadata }, options, clientId);
    return 'created';
  }
  if (kindOf(current.metadata) !== fixed.kind || current.issuer !== issuer || current.metadata.token_endpoint_auth_method !== 'client_secret_basic') {
    throw new Error(`client ${clientId} is registered as a ${kindOf(current.metadata)} of the ${current.issuer} issuer (${current.metadata.token_endpoint_auth_method}): remove it to register it as a ${fixed.kind} of the ${issuer} issuer with a secret`);
  }
  const edit: ClientEdit = fixed.kind === 'machine' ? { name, scopes: fixed.client.scopes } : { name, redirectUris: fixed.client.redirectUris };
  const edited = await changeClient(knex, organisationId, clientId, edit, options);
  const changed = JSON.stringify(describeClient(edited ?? current)) !== JSON.stringify(describeClient(current));
  if (current.metadata.client_secret === clientSecret) return changed ? 'changed' : 'unchanged';
  await rotateClientSecret(knex, organisationId, clientId, { ...options, clientSecret });
  return 'changed';
}

/** Applies `edit` to one of the organisation's clients; undefined when it has no such client. */
export async function changeClient(knex: Knex, organisationId: string, clientId: string, edit: ClientEdit, { actor = OPERATOR, check }: ChangeOptions = {}): Promise<RegisteredClient | undefined> {
  if (edit.scopes) assertGrantableToMachines(edit.scopes);
  const outcome = await knex.transaction(async (trx): Promise<'missing' | 'unchanged' | 'changed'> => {
    const current = await clientRepository.find(trx, organisationId, clientId, { forUpdate: true });
    if (!current) return 'missing';
    const metadata = editedMetadata(current.metadata, edit);
    const name = edit.name ?? current.name;
    await check?.(current.issuer, { clientId, organisationId, metadata });
    const changes = differences(await audited(describeClient(current)), await audited(describeClient({ ...current, name, metadata })));
    if (Object.keys(changes).length === 0) return 'unchanged';
    await clientRepository.update(trx, clientId, { name, metadata });
    await recordClientEvent(trx, { clientId, organisationId, action: 'updated', actor, changes });
    return 'changed';
  });
  if (outcome === 'missing') return undefined;
  if (outcome === 'changed') forgetCachedClient(clientId);
  return clientRepository.find(knex, organisationId, clientId);
}

/**
 * Gives the client a new secret, returned once: a random one, or the one given (ensureClient). The
 * old one stops at once here and within the client cache's lifetime on other instances: there is
 * no grace period (oidc-provider keeps one secret per client). Undefined when the organisation has
 * no such client.
 */
export async function rotateClientSecret(knex: Knex, organisationId: string, clientId: string, { actor = OPERATOR, clientSecret = newClientSecret() }: ChangeOptions & { clientSecret?: string } = {}): Promise<string | undefined> {
  const rotated = await knex.transaction(async (trx) => {
    const current = await clientRepository.find(trx, organisationId, clientId, { forUpdate: true });
    if (!current) return false;
    if (current.metadata.token_endpoint_auth_method !== 'client_secret_basic') throw new ClientHasNoSecret(clientId);
    await clientRepository.update(trx, clientId, { name: current.name, metadata: { ...current.metadata, client_secret: clientSecret } });
    await recordClientEvent(trx, { clientId, organisationId, action: 'secret_rotated', actor });
    return true;
  });
  if (!rotated) return undefined;
  forgetCachedClient(clientId);
  return clientSecret;
}

/** Removes the client and revokes everything issued to it; false when the organisation has no such client. */
export async function removeClient(knex: Knex, organisationId: string, clientId: string, { actor = OPERATOR }: ChangeOptions = {}): Promise<boolean> {
  const removed = await knex.transaction(async (trx) => {
    const current = await clientRepository.find(trx, organisationId, clientId, { forUpdate: true });
    if (!current) return false;
    const revoked = await clientRepository.deleteWithModels(trx, clientId);
    await recordClientEvent(trx, { clientId, organisationId, action: 'deleted', actor, changes: { revoked } });
    return true;
  });
  if (removed) forgetCachedClient(clientId);
  return removed;
}

const GRANTABLE = new Set(machineClientScopes(apiResources('')));

/** The last guard (callers check first, with a message for the person): staff-only scopes such as clients:* never go to a machine client. */
function assertGrantableToMachines(scopes: readonly string[]): void {
  const refused = scopes.filter((scope) => !GRANTABLE.has(scope));
  if (refused.length > 0) throw new Error(`a machine client may not be granted ${refused.join(', ')}`);
}

/** A client as the audit keeps it: public keys by their RFC 7638 thumbprint. */
async function audited({ jwks, ...description }: ClientDescription): Promise<Record<string, unknown>> {
  if (!jwks) return description;
  return { ...description, jwks_thumbprints: await Promise.all(jwks.keys.map((key) => calculateJwkThumbprint(key as JWK))) };
}

/** Each field that changed, with what it was and what it is. */
function differences(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (JSON.stringify(before[field]) !== JSON.stringify(after[field])) changes[field] = { from: before[field] ?? null, to: after[field] ?? null };
  }
  return changes;
}
