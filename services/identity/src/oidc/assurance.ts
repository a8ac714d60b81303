import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';

/** Levels of assurance, lowest first. */
export const LOA = { low: 'urn:tamkeen:loa:low', substantial: 'urn:tamkeen:loa:substantial', high: 'urn:tamkeen:loa:high' } as const;
const ORDER: readonly string[] = [LOA.low, LOA.substantial, LOA.high];

export const rankOf = (acr: string | undefined): number => (acr ? ORDER.indexOf(acr) : -1);

/**
 * The weakest level the relying party accepts, from `acr_values` or the ID token's `acr` claim
 * request (value or values); undefined when it asked for none of ours.
 */
export function requiredAcr(params: Record<string, unknown>, claims: { id_token?: { acr?: { value?: string; values?: string[] } | null } } | undefined): string | undefined {
  const asked = [
    ...(typeof params.acr_values === 'string' ? params.acr_values.split(' ') : []),
    ...(claims?.id_token?.acr?.value ? [claims.id_token.acr.value] : []),
    ...(claims?.id_token?.acr?.values ?? []),
  ].filter((value) => rankOf(value) >= 0);
  if (asked.length === 0) return undefined;
  return asked.reduce((weakest, value) => (rankOf(value) < rankOf(weakest) ? value : weakest));
}

/** The login prompt's step-up check: the session is weaker than the relying party asks for. */
export function needsStepUp(ctx: KoaContextWithOIDC): boolean {
  const required = requiredAcr(ctx.oidc.params as Record<string, unknown>, ctx.oidc.claims as Parameters<typeof requiredAcr>[1]);
  return required !== undefined && Boolean(ctx.oidc.session?.accountId) && rankOf(ctx.oidc.session?.acr) < rankOf(required);
}

/** Login prompt reasons that are only about the level of assurance, not about who is logged in. */
const LEVEL_REASONS = new Set(['acr_step_up', 'essential_acr', 'essential_acrs']);

/**
 * The account whose session only needs a higher level (a step-up: the missing factor is asked,
 * not the password). Undefined when the login prompt has any other reason too (`prompt=login`,
 * an expired `max_age`, no session...): then the person logs in again from the start.
 */
export function sessionSteppingUp(details: Awaited<ReturnType<Provider['interactionDetails']>>): string | undefined {
  const { prompt, session } = details;
  if (prompt.name !== 'login' || !session?.accountId || !prompt.reasons.includes('acr_step_up')) return undefined;
  return prompt.reasons.every((reason) => LEVEL_REASONS.has(reason)) ? session.accountId : undefined;
}
