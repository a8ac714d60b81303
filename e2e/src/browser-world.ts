import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as oidc from 'openid-client';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startPlatform, type RunningPlatform } from './platform.js';

/** What the real-browser tests log in to: the platform, a ministry's service registered with it, and Chromium. */
export interface BrowserWorld {
  platform: RunningPlatform;
  browser: Browser;
  /** The ministry's service; its callback is `${callbackBase}/callback`. */
  callbackBase: string;
  /** The ministry's service as an OpenID client of the citizen issuer. */
  config: oidc.Configuration;
  /** Saves a numbered full-page screenshot under e2e/output/<label>. */
  screenshot(page: Page, name: string): Promise<Buffer>;
  /** Sends the browser to log in for the ministry; returns what waits for the callback and finishes the code exchange. */
  authorize(page: Page, extra?: Record<string, string>): Promise<() => ReturnType<typeof oidc.authorizationCodeGrant>>;
  close(): Promise<void>;
}

/**
 * Starts the platform (its databases named after `label`), a ministry's service whose callback
 * page only says it got an answer (the test exchanges the code), that ministry (Ministry of
 * Labour, mol) and its service registered by the operator's commands, and Chromium; screenshots
 * go to e2e/output/<label>.
 */
export async function startBrowserWorld(label: string): Promise<BrowserWorld> {
  const output = join(dirname(fileURLToPath(import.meta.url)), '..', 'output', label);
  mkdirSync(output, { recursive: true });
  let platform: RunningPlatform | undefined;
  let relyingParty: Server | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close();
    await new Promise((resolve) => (relyingParty ? relyingParty.close(resolve) : resolve(undefined)));
    await platform?.stop();
  };
  try {
    platform = await startPlatform(`e2e ${label}`);
    relyingParty = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('back at the ministry'));
    await new Promise<void>((resolve) => relyingParty!.listen(0, '127.0.0.1', resolve));
    const callbackBase = `http://127.0.0.1:${(relyingParty.address() as AddressInfo).port}`;
    await platform.command('identity', 'admin.js', ['organisation', 'add', '--id', 'mol', '--name-ar', 'وزارة العمل', '--name-en', 'Ministry of Labour']);
    const rp = JSON.parse(await platform.command('identity', 'admin.js', ['relying-party', 'add', '--organisation', 'mol', '--name', 'Work permits', '--redirect-uri', `${callbackBase}/callback`])) as { client_id: string; client_secret: string };
    const config = await oidc.discovery(new URL(`${platform.gateway}/auth/citizen`), rp.client_id, rp.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });

    let shot = 0;
    const screenshot = (page: Page, name: string) => page.screenshot({ path: join(output, `${String(++shot).padStart(2, '0')}-${name}.png`), fullPage: true });
    const authorize = async (page: Page, extra: Record<string, string> = {}) => {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const url = oidc.buildAuthorizationUrl(config, { redirect_uri: `${callbackBase}/callback`, scope: 'openid profile phone', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, ...extra });
      await page.goto(url.toString());
      return async () => {
        await page.waitForURL(`${callbackBase}/callback**`);
        return oidc.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: verifier, expectedState: state });
      };
    };
    return { platform, browser, callbackBase, config, screenshot, authorize, close };
  } catch (error) {
    await close();
    throw error;
  }
}
