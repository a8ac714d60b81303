import { validate } from '@tamkeen/http-kit';
import { z } from 'zod';
import type { ClientEdit, ClientKind, ClientIssuer, Jwks } from '../clients/client.js';
import { apiResources, machineClientScopes } from '../oidc/resource-servers.js';

// What the admin API accepts, checked before anything is written. Each wrong field is named.

export const MAX_REDIRECT_URIS = 10;
const MAX_KEYS = 5;
const DEVELOPMENT_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const PRIVATE_KEY_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];
const GRANTABLE_SCOPES = machineClientScopes(apiResources(''));

/** Why `value` cannot be a redirect URI (redirect URIs are matched exactly, so no pattern of any kind), or undefined. */
export function redirectUriProblem(value: string): string | undefined {
  if (value.includes('*')) return 'must not contain wildcards (*): redirect URIs are matched exactly';
  if (/\s/.test(value)) return 'must not contain spaces';
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (!url) return 'must be an absolute URL (https://…)';
  if (value.includes('#')) return 'must not have a fragment (#…)';
  if (url.username || url.password) return 'must not contain a user name or password';
  if (url.protocol === 'http:' && !DEVELOPMENT_HOSTS.has(url.hostname)) return 'must use https (http only for localhost or 127.0.0.1, in development)';
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an https URL';
  return undefined;
}

const redirectUri = z
  .string({ message: 'must be a URL' })
  .max(2_000, { message: 'must be at most 2000 characters' })
  .superRefine((value, ctx) => {
    const problem = redirectUriProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** A list without repeats: the second of two equal items is named. */
function distinct<T extends z.ZodType<string>>(item: T, { min, max }: { min: number; max: number }) {
  return z
    .array(item, { message: 'must be a list' })
    .min(min, { message: `must list at least ${min}` })
    .max(max, { message: `must list at most ${max}` })
    .superRefine((items, ctx) => {
      items.forEach((value, i) => {
        if (items.indexOf(value) !== i) ctx.addIssue({ code: 'custom', path: [i], message: 'is listed twice' });
      });
    });
}

const redirectUris = distinct(redirectUri, { min: 1, max: MAX_REDIRECT_URIS });
const postLogoutRedirectUris = distinct(redirectUri, { min: 0, max: MAX_REDIRECT_URIS });

const name = z
  .string({ message: 'must be a name' })
  .trim()
  .min(1, { message: 'must not be empty' })
  .max(100, { message: 'must be at most 100 characters' })
  .refine((value) => !/\p{Cc}/u.test(value), { message: 'must not contain control characters' });

const scope = z.string({ message: 'must be a scope' }).superRefine((value, ctx) => {
  if (!GRANTABLE_SCOPES.includes(value)) ctx.addIssue({ code: 'custom', message: `is not a scope a machine client may have; these are: ${GRANTABLE_SCOPES.join(', ')}` });
});
const scopes = distinct(scope, { min: 1, max: GRANTABLE_SCOPES.length });

/** An EC P-256 public key (the platform signs ES256 throughout); a private member is refused, never stored. */
const publicKey = z
  .looseObject({
    kty: z.literal('EC', { message: 'must be EC (keys are EC P-256, for ES256)' }),
    crv: z.literal('P-256', { message: 'must be P-256' }),
    x: z.string({ message: 'is required' }).min(1),
    y: z.string({ message: 'is required' }).min(1),
    kid: z.string().min(1).max(200).optional(),
    alg: z.literal('ES256', { message: 'must be ES256' }).optional(),
    use: z.literal('sig', { message: 'must be sig' }).optional(),
  })
  .superRefine((key, ctx) => {
    for (const member of PRIVATE_KEY_MEMBERS) {
      if (member in key) ctx.addIssue({ code: 'custom', path: [member], message: 'must not be sent: give the public key only, and keep the private key to yourself' });
    }
  })
  .transform(({ kty, crv, x, y, kid, alg, use }) => ({ kty, crv, x, y, ...(kid ? { kid } : {}), ...(alg ? { alg } : {}), ...(use ? { use } : {}) }));

const jwks = z.strictObject({ keys: z.array(publicKey).min(1, { message: 'must list at least one key' }).max(MAX_KEYS, { message: `must list at most ${MAX_KEYS}` }) }, { message: 'must be a JWK Set: {"keys": [...]}' });

const kind = z.object({ kind: z.enum(['relying_party', 'machine'], { message: 'must be relying_party or machine' }) }, { message: 'must be a JSON object' });

const newRelyingParty = z.strictObject({
  kind: z.literal('relying_party'),
  name,
  issuer: z.enum(['citizen', 'enterprise'], { message: 'must be citizen or enterprise' }).default('citizen'),
  redirect_uris: redirectUris,
  post_logout_redirect_uris: postLogoutRedirectUris.optional(),
  backchannel_logout_uri: redirectUri.optional(),
});

const newMachineClient = z.strictObject({
  kind: z.literal('machine'),
  name,
  scopes,
  jwks: jwks.optional(),
});

const atLeastOneField = (edit: object) => Object.keys(edit).length > 0;
// Only a body with nothing wrong can be said to change nothing.
const whenValid = { when: (payload: { issues: readonly unknown[] }) => payload.issues.length === 0 };

const relyingPartyEdit = z
  .strictObject(
    {
      name: name.optional(),
      redirect_uris: redirectUris.optional(),
      post_logout_redirect_uris: postLogoutRedirectUris.optional(),
      backchannel_logout_uri: redirectUri.nullable().optional(),
    },
    { message: 'must be a JSON object' },
  )
  .refine(atLeastOneField, { message: 'must change at least one field (name, redirect_uris, post_logout_redirect_uris, backchannel_logout_uri)', ...whenValid });

const machineClientEdit = z
  .strictObject({ name: name.optional(), scopes: scopes.optional(), jwks: jwks.optional() }, { message: 'must be a JSON object' })
  .refine(atLeastOneField, { message: 'must change at least one field (name, scopes, jwks)', ...whenValid });

export type NewClientInput =
  | { kind: 'relying_party'; name: string; issuer: ClientIssuer; redirectUris: string[]; postLogoutRedirectUris: string[]; backchannelLogoutUri?: string }
  | { kind: 'machine'; name: string; scopes: string[]; jwks?: Jwks };

/** A new client from a request body, or a 400 naming each wrong field. */
export function parseNewClient(body: unknown): NewClientInput {
  if (validate(kind, body).kind === 'machine') {
    const input = validate(newMachineClient, body);
    return { kind: 'machine', name: input.name, scopes: input.scopes, ...(input.jwks ? { jwks: input.jwks } : {}) };
  }
  const input = validate(newRelyingParty, body);
  return {
    kind: 'relying_party',
    name: input.name,
    issuer: input.issuer,
    redirectUris: input.redirect_uris,
    postLogoutRedirectUris: input.post_logout_redirect_uris ?? [],
    ...(input.backchannel_logout_uri ? { backchannelLogoutUri: input.backchannel_logout_uri } : {}),
  };
}

/** A change to a client of this kind from a request body (kind and issuer never change), or a 400. */
export function parseClientEdit(clientKind: ClientKind, body: unknown): ClientEdit {
  if (clientKind === 'machine') {
    const edit = validate(machineClientEdit, body);
    return { name: edit.name, scopes: edit.scopes, jwks: edit.jwks };
  }
  const edit = validate(relyingPartyEdit, body);
  return { name: edit.name, redirectUris: edit.redirect_uris, postLogoutRedirectUris: edit.post_logout_redirect_uris, backchannelLogoutUri: edit.backchannel_logout_uri };
}
