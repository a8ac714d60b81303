import type { Client, Grant, KoaContextWithOIDC } from 'oidc-provider';

/** Which API scopes this login's account may be given (the enterprise issuer: its roles). */
export type ResourceScopePolicy = (ctx: KoaContextWithOIDC) => Promise<(scope: string) => boolean>;

/**
 * A relying party that is not the government's own: a business's (a bank, a telecom operator)
 * rather than a ministry's. Citizens decide what such a party learns about them (the consent page).
 */
export const isThirdParty = (client: Client): boolean => (client as unknown as { organisation_kind?: string }).organisation_kind === 'business';

/** Claims every ID token carries anyway: never a reason to ask for consent (as oidc-provider's own check). */
const ALWAYS_RELEASED = new Set(['sub', 'sid', 'auth_time', 'acr', 'amr', 'iss']);

/**
 * oidc-provider's `loadExistingGrant`. A first-party relying party (a ministry's service, registered
 * by the ministry itself) is granted what it asks for when the person logs in, in the same request,
 * so the login ends without a consent step and its two extra round trips. A third party
 * (`thirdParty`) gets only what the person has already allowed it (this session's grant): the rest
 * goes to oidc-provider's consent prompt, and so to the consent page. API
 * scopes the policy refuses are recorded as rejected: not granted, and not asked again. The
 * scopes and claims considered are the ones oidc-provider's consent prompt checks, so that prompt
 * is never needed for what is granted here.
 */
export function firstPartyGrants(allowsResourceScope: ResourceScopePolicy = async () => () => false, thirdParty: (client: Client) => boolean = () => false) {
  return async (ctx: KoaContextWithOIDC): Promise<Grant | undefined> => {
    const { oidc } = ctx;
    const { provider, client, session, account } = oidc;
    if (!client || !session || !account) return undefined;
    const grantId = (oidc.result as { consent?: { grantId?: string } } | undefined)?.consent?.grantId ?? session.grantIdFor(client.clientId);
    const existing = grantId ? await provider.Grant.find(grantId) : undefined;
    if (thirdParty(client)) return existing?.accountId === account.accountId ? existing : undefined;
    // A grant is one person's for one client: another person in this browser gets their own.
    const grant = existing?.accountId === account.accountId ? existing : new provider.Grant({ accountId: account.accountId, clientId: client.clientId });
    let changed = grant !== existing;

    const encounteredScopes = new Set(grant.getOIDCScopeEncountered().split(' '));
    const scopes = [...oidc.requestParamOIDCScopes].filter((scope) => !encounteredScopes.has(scope));
    if (scopes.length > 0) grant.addOIDCScope(scopes.join(' '));
    const encounteredClaims = new Set(grant.getOIDCClaimsEncountered());
    const claims = [...oidc.requestParamClaims].filter((claim) => !encounteredClaims.has(claim) && !ALWAYS_RELEASED.has(claim));
    if (claims.length > 0) grant.addOIDCClaims(claims);
    changed ||= scopes.length > 0 || claims.length > 0;

    let allows: ((scope: string) => boolean) | undefined;
    for (const [indicator, server] of Object.entries(oidc.resourceServers ?? {})) {
      const encountered = new Set(grant.getResourceScopeEncountered(indicator).split(' '));
      const asked = [...oidc.requestParamScopes].filter((scope) => server.scopes.has(scope) && !encountered.has(scope));
      if (asked.length === 0) continue;
      allows ??= await allowsResourceScope(ctx);
      const granted = asked.filter((scope) => allows!(scope));
      const refused = asked.filter((scope) => !allows!(scope));
      if (granted.length > 0) grant.addResourceScope(indicator, granted.join(' '));
      if (refused.length > 0) grant.rejectResourceScope(indicator, refused.join(' '));
      changed = true;
    }
    if (changed) await grant.save();
    return grant;
  };
}
