import type { Request, Response } from 'express';
import type Provider from 'oidc-provider';

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

/**
 * Answers oidc-provider's consent prompt without a page: the relying parties are services that
 * organisations registered themselves, so what they asked for is granted, except API scopes that
 * `allowsResourceScope` refuses (those are rejected, so that they are not asked for again).
 * A consent page comes with third-party clients.
 */
export async function grantWhatWasAsked(provider: Provider, req: Request, res: Response, details: Interaction, allowsResourceScope: (scope: string) => boolean = () => true): Promise<void> {
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
  await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
}
