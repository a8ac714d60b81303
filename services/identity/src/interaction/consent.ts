import type { Response } from 'express';
import type Provider from 'oidc-provider';
import { finishInteraction } from './page-kit.js';

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

/**
 * Answers oidc-provider's consent prompt without a page. Logins seldom get here: first-party
 * grants are made at login (oidc/first-party-grants.ts); the prompt still comes for what that does
 * not cover (native clients, which oidc-provider always sends to consent). What was asked for is
 * granted, except API scopes that `allowsResourceScope` refuses (those are rejected, so that they
 * are not asked for again). A consent page comes with third-party clients.
 */
export async function grantWhatWasAsked(provider: Provider, res: Response, details: Interaction, allowsResourceScope: (scope: string) => boolean = () => true): Promise<void> {
  const { prompt, params, session, grantId } = details;
  const grant = (grantId ? await provider.Grant.find(grantId) : undefined) ?? new provider.Grant({ accountId: session!.accountId, clientId: params.client_id as string });
  const missing = prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    const granted = scopes.filter(allowsResourceScope);
    const refused = scopes.filter((scope) => !allowsResourceScope(scope));
    if (granted.length > 0) grant.addResourceScope(indicator, granted.join(' '));
    if (refused.length > 0) grant.rejectResourceScope(indicator, refused.join(' '));
  }
  await finishInteraction(details, res, { ...details.lastSubmission, consent: { grantId: await grant.save() } });
}
