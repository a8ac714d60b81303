/**
 * The platform's APIs as OAuth resource servers (RFC 8707): the audience a token is issued for and
 * the scopes it may carry. Access tokens are JWTs (RFC 9068) signed ES256, verified by each API
 * against the enterprise issuer's JWKS.
 */
export interface ApiResource {
  name: string;
  /** The resource indicator and the token's `aud`: the API's public base URL. */
  audience: string;
  scopes: readonly string[];
  /** Only a staff member's own login may carry these scopes: never granted to a machine client. */
  staffOnly?: boolean;
}

export function apiResources(publicUrl: string): ApiResource[] {
  return [
    { name: 'notifications', audience: `${publicUrl}/notifications/v1`, scopes: ['notifications:send', 'notifications:read'] },
    { name: 'payments', audience: `${publicUrl}/payments/v1`, scopes: ['payments:write', 'payments:read', 'reconciliation:read', 'reconciliation:write'] },
    { name: 'identity', audience: `${publicUrl}/identity/v1`, scopes: ['clients:read', 'clients:write'], staffOnly: true },
  ];
}

/**
 * Every API scope, staff-only ones included: the enterprise issuer's `scopes`. All must be known
 * to oidc-provider, because it holds a client to its registered `scope` only for scopes it knows:
 * an API scope left out would be granted to any machine client that asked for it.
 */
export function apiScopes(resources: readonly ApiResource[]): string[] {
  return resources.flatMap((r) => r.scopes);
}

/** The scopes a machine client may be registered with: every API scope but the staff-only ones. */
export function machineClientScopes(resources: readonly ApiResource[]): string[] {
  return resources.filter((r) => !r.staffOnly).flatMap((r) => r.scopes);
}

/**
 * The API a request meant when it named no `resource`: the one every requested scope belongs to.
 * Undefined when the scopes span several APIs (then `resource` is required) or none.
 */
export function resourceForScopes(resources: readonly ApiResource[], scope: string | undefined): ApiResource | undefined {
  const wanted = (scope ?? '').split(' ').filter((s) => s.includes(':'));
  if (wanted.length === 0) return undefined;
  const owners = new Set(wanted.map((s) => resources.find((r) => r.scopes.includes(s))));
  const [only] = owners;
  return owners.size === 1 ? only : undefined;
}
