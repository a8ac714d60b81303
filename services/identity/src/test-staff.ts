import * as oidc from 'openid-client';
import { generate } from 'otplib';
import { testBrowser } from '@tamkeen/testing';
import type { TestIdentity } from './test-identity.js';

/** Every relying party of these tests answers under this origin (the browser stops there). */
export const RP_ORIGIN = 'https://rp.test/';

export interface RelyingPartyCredentials {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

type Tokens = Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;

export interface StaffLogin {
  /** The tokens of the login itself. */
  tokens: Tokens;
  /**
   * Goes through another (or the same) relying party with the session this browser holds, and
   * exchanges the code as that relying party would: no password or app again.
   */
  authorize(rp: RelyingPartyCredentials, params: Record<string, string>): Promise<Tokens>;
  /** The staff member's browser, with the issuer's session cookies. */
  browser: ReturnType<typeof testBrowser>;
}

/** The relying party's view of the enterprise issuer (openid-client, as a ministry's service would use it). */
export const enterpriseIssuer = (identity: TestIdentity, rp: Pick<RelyingPartyCredentials, 'clientId' | 'clientSecret'>) =>
  oidc.discovery(new URL(`${identity.url}/auth/enterprise`), rp.clientId, rp.clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });

/**
 * A staff member logs in for real on the enterprise issuer through `rp`: e-mail and password, then
 * an authenticator app linked on the spot (their first login; the app is then always asked).
 * `params` go into the authorization request (scope, resource...).
 */
export async function loginStaff(identity: TestIdentity, rp: RelyingPartyCredentials, credentials: { email: string; password: string }, params: Record<string, string>): Promise<StaffLogin> {
  const browser = testBrowser(identity.url, RP_ORIGIN);

  const authorize = async (via: RelyingPartyCredentials, extra: Record<string, string>) => {
    const config = await enterpriseIssuer(identity, via);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, { redirect_uri: via.redirectUri, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, ...extra });
    let page = await browser.follow(await browser.go(url.toString()));
    if (typeof page !== 'string') {
      const setup = await browser.submit(await page.text(), credentials);
      if (typeof setup === 'string') throw new Error(`expected the authenticator app set-up, was sent to ${setup}`);
      const html = await setup.text();
      const key = /id="authenticator_key">([A-Z2-7 ]+)</.exec(html)?.[1]?.replace(/ /g, '');
      if (!key) throw new Error(`expected the authenticator app set-up page, got ${setup.status} at ${setup.url}`);
      page = await browser.submit(html, { code: await generate({ secret: key }) });
    }
    if (typeof page !== 'string') throw new Error(`the login did not come back to the relying party: ${page.status} ${await page.text()}`);
    return oidc.authorizationCodeGrant(config, new URL(page), { pkceCodeVerifier: verifier, expectedState: state });
  };

  return { tokens: await authorize(rp, params), authorize, browser };
}
