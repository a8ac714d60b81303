import { z } from '@tamkeen/config';
import { MAX_REDIRECT_URIS, redirectUriProblem } from '../admin-api/client-input.js';
import { apiResources, machineClientScopes } from '../oidc/resource-servers.js';
import type { FixedClient } from './client-registry.js';

// PLATFORM_CLIENTS: the platform's own clients (payments' machine client, the payment page's
// relying party...), declared with the id and secret their service is also given, so that no
// operator has to register them by hand before the platform works. A JSON list, e.g.
//   [{"kind":"machine","client_id":"tamkeen-payments","client_secret":"…","name":"Payments","scope":"notifications:send"},
//    {"kind":"relying_party","client_id":"tamkeen-pay","client_secret":"…","name":"Payment page","issuer":"citizen",
//     "redirect_uris":["https://tamkeen.example/pay/login/callback"]}]
// Messages name the field and never echo a value (a secret may be in it).

/** The platform's own organisation: every client declared here is its. */
export const PLATFORM_ORGANISATION = { id: 'tamkeen', nameAr: 'تمكين', nameEn: 'Tamkeen platform', kind: 'ministry' } as const;

const GRANTABLE_SCOPES = machineClientScopes(apiResources(''));

const clientId = z
  .string({ message: 'is required: the client id, as the service using it is given it' })
  .regex(/^[a-z0-9][a-z0-9-]{1,99}$/, { message: 'must be 2 to 100 lower-case letters, digits or dashes' });

// URL-unreserved characters only (base64url secrets are): Basic authorization form-encodes the
// secret (RFC 6749 §2.3.1), and clients that skip that step would otherwise send another secret.
const clientSecret = z
  .string({ message: 'is required: a secret of at least 32 characters' })
  .min(32, { message: 'must be at least 32 characters' })
  .max(200, { message: 'must be at most 200 characters' })
  .regex(/^[A-Za-z0-9._~-]+$/, { message: 'must be letters, digits and - . _ ~ only (e.g. openssl rand -base64 32 | tr +/ -_ | tr -d =)' });

const name = z
  .string({ message: 'is required: the name staff see' })
  .trim()
  .min(1, { message: 'must not be empty' })
  .max(100, { message: 'must be at most 100 characters' })
  .refine((value) => !/\p{Cc}/u.test(value), { message: 'must not contain control characters' });

/** Space-separated API scopes, each one a machine client may have (never a staff-only one such as clients:write). */
const scope = z
  .string({ message: 'is required: space-separated API scopes' })
  .transform((value) => value.split(' ').filter(Boolean))
  .superRefine((scopes, ctx) => {
    if (scopes.length === 0) ctx.addIssue({ code: 'custom', message: 'must name at least one scope' });
    const refused = scopes.filter((s) => !GRANTABLE_SCOPES.includes(s));
    if (refused.length > 0) ctx.addIssue({ code: 'custom', message: `${refused.join(', ')}: not a scope a machine client may have; these are: ${GRANTABLE_SCOPES.join(', ')}` });
    if (new Set(scopes).size !== scopes.length) ctx.addIssue({ code: 'custom', message: 'names a scope twice' });
  });

const redirectUris = z
  .array(
    z.string({ message: 'must be a URL' }).superRefine((value, ctx) => {
      const problem = redirectUriProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    { message: 'is required: a list of redirect URIs' },
  )
  .min(1, { message: 'must list at least one' })
  .max(MAX_REDIRECT_URIS, { message: `must list at most ${MAX_REDIRECT_URIS}` })
  .refine((uris) => new Set(uris).size === uris.length, { message: 'lists a URI twice' });

const noOtherFields = { error: (issue: { code: string; keys?: string[] }) => (issue.code === 'unrecognized_keys' ? `has no field ${issue.keys!.join(', ')}` : undefined) };

const platformClient = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('machine'), client_id: clientId, client_secret: clientSecret, name, scope }, noOtherFields),
    z.strictObject(
      {
        kind: z.literal('relying_party'),
        client_id: clientId,
        client_secret: clientSecret,
        name,
        issuer: z.enum(['citizen', 'enterprise'], { message: 'is required: citizen or enterprise' }),
        redirect_uris: redirectUris,
      },
      noOtherFields,
    ),
  ],
  { message: 'must be an object whose kind is machine or relying_party' },
);

const platformClients = z
  .array(platformClient, { message: 'must be a JSON list of clients' })
  .max(20, { message: 'must list at most 20 clients' })
  .superRefine((clients, ctx) => {
    clients.forEach((client, i) => {
      if (clients.findIndex((other) => other.client_id === client.client_id) !== i) ctx.addIssue({ code: 'custom', path: [i, 'client_id'], message: 'is listed twice' });
    });
  });

/** `[1].redirect_uris[0]`: where in the list a problem is. */
const fieldPath = (path: readonly PropertyKey[]) => path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('').replace(/^\./, '');

/**
 * The PLATFORM_CLIENTS variable: JSON, each client checked as the admin API checks one; every
 * wrong field is its own problem (`[0].client_secret must be at least 32 characters`). Unset: none.
 */
export const platformClientsVariable = () =>
  z
    .string()
    .default('[]')
    .transform((value, ctx): FixedClient[] => {
      let json: unknown;
      try {
        json = JSON.parse(value);
      } catch {
        // Not JSON.parse's message: it quotes the text, secrets included.
        ctx.addIssue({ code: 'custom', message: 'must be JSON: a list of clients ([{"kind": "machine", "client_id": …}, …])' });
        return z.NEVER;
      }
      const parsed = platformClients.safeParse(json);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.path.length > 0 ? `${fieldPath(issue.path)} ${issue.message}` : issue.message });
        return z.NEVER;
      }
      const organisationId = PLATFORM_ORGANISATION.id;
      return parsed.data.map((c) =>
        c.kind === 'machine'
          ? { kind: 'machine', clientId: c.client_id, clientSecret: c.client_secret, client: { organisationId, name: c.name, scopes: c.scope } }
          : { kind: 'relying_party', clientId: c.client_id, clientSecret: c.client_secret, client: { organisationId, name: c.name, issuer: c.issuer, redirectUris: c.redirect_uris } },
      );
    });
