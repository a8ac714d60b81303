import type { IRouter, Response } from 'express';
import type Provider from 'oidc-provider';
import { isThirdParty } from '../oidc/first-party-grants.js';
import { csrfTokens, finishInteraction, openInteraction, pageForm, refuse, sendPage } from './page-kit.js';
import { consentPage, type Lang, type MessageKey } from './pages.js';

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

/**
 * Answers oidc-provider's consent prompt without a page. Logins seldom get here: first-party
 * grants are made at login (oidc/first-party-grants.ts); the prompt still comes for what that does
 * not cover (native clients, which oidc-provider always sends to consent). What was asked for is
 * granted, except API scopes that `allowsResourceScope` refuses (those are rejected, so that they
 * are not asked for again). A business's relying party asks the citizen first: `thirdPartyConsent`.
 */
export async function grantWhatWasAsked(provider: Provider, res: Response, details: Interaction, allowsResourceScope: (scope: string) => boolean = () => false): Promise<void> {
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

/** What each scope or claim asked for lets the relying party know, in the consent page's words. */
const ASKS: Record<string, MessageKey> = {
  openid: 'consentOpenid',
  profile: 'consentProfile',
  name: 'consentProfile',
  'name#ar': 'consentProfile',
  'name#en': 'consentProfile',
  birthdate: 'consentProfile',
  phone: 'consentPhone',
  phone_number: 'consentPhone',
  email: 'consentEmail',
  national_id: 'consentNationalId',
  offline_access: 'consentOfflineAccess',
};

/**
 * The consent page of the citizen issuer: a business's relying party (not a ministry's) learns
 * only what the citizen allows, asked after the login, once per session. Allow grants what was
 * asked; Don't allow sends the citizen back with `access_denied`. Returns the step that shows
 * the page when the consent prompt is a third party's (undefined otherwise: the caller grants).
 */
export function thirdPartyConsent(router: IRouter, { provider, base, secret }: { provider: Provider; base: string; secret: string }) {
  const csrf = csrfTokens(secret);
  const path = (uid: string) => `${base}/${uid}/consent`;

  router.post(`${base}/:uid/consent`, pageForm, async (req, res) => {
    const opened = await openInteraction(provider, req, res);
    if (!opened) return;
    const { details, lang } = opened;
    const body = (req.body ?? {}) as Record<string, string>;
    if (details.prompt.name !== 'consent') return refuse(res, 400, path(details.uid), lang, 'expired');
    if (!csrf.matches(details.uid, body.csrf)) return refuse(res, 403, path(details.uid), lang, 'csrf');
    if (body.decision === 'allow') return grantWhatWasAsked(provider, res, details);
    await finishInteraction(details, res, { error: 'access_denied', error_description: 'The citizen did not allow sharing these details.' });
  });

  /** Shows the page when this consent prompt is a third party's; false when it is not (nothing sent). */
  return async function showConsent(res: Response, details: Interaction, lang: Lang): Promise<boolean> {
    const client = await provider.Client.find(String(details.params.client_id));
    if (!client || !isThirdParty(client)) return false;
    const metadata = client as unknown as { clientName?: string; organisation_name_ar?: string; organisation_name_en?: string };
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
    const asks = [...new Set([...(missing.missingOIDCScope ?? []), ...(missing.missingOIDCClaims ?? [])].flatMap((name) => (ASKS[name] ? [ASKS[name]] : [])))];
    sendPage(
      res,
      200,
      consentPage({
        lang,
        action: `${path(details.uid)}?lang=${lang}`,
        switchHref: `${base}/${details.uid}?lang=${lang === 'ar' ? 'en' : 'ar'}`,
        csrf: csrf.tokenFor(details.uid),
        organisation: (lang === 'ar' ? metadata.organisation_name_ar : metadata.organisation_name_en) ?? '',
        service: metadata.clientName ?? String(details.params.client_id),
        asks,
      }),
    );
    return true;
  };
}
