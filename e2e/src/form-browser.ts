/** A page the browser stopped at: where it is, its status and its HTML. */
export interface FormPage {
  url: string;
  status: number;
  html: string;
}

/**
 * A browser without JavaScript, enough for the platform's login pages (which have none): follows
 * redirects by hand, keeps the cookies it is given, submits a page's form with its hidden fields,
 * and stops when it is sent to the relying party (`stopAt`), returning that address — nothing
 * needs to listen there, as when a developer copies the code from the address bar.
 */
export function formBrowser(stopAt: string) {
  const cookies = new Map<string, string>();

  async function request(url: string, form?: Record<string, string>): Promise<FormPage | string> {
    for (let hops = 0; ; hops++) {
      // A redirect loop fails the test at once rather than at its timeout.
      if (hops > 20) throw new Error(`more than 20 redirects, the last to ${url}`);
      if (url.startsWith(stopAt)) return url;
      const response = await fetch(url, {
        method: form ? 'POST' : 'GET',
        redirect: 'manual',
        headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; '), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
        body: form ? new URLSearchParams(form).toString() : undefined,
      });
      for (const line of response.headers.getSetCookie()) {
        const [name, ...value] = line.split(';')[0]!.split('=');
        cookies.set(name!.trim(), value.join('='));
      }
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return { url, status: response.status, html: await response.text() };
      await response.body?.cancel();
      url = new URL(location, url).toString();
      form = undefined;
    }
  }

  return {
    /** Opens an address; a page, or the relying party's address the browser was sent to. */
    open: (url: string) => request(url),
    /** Fills in and submits the page's (first) form, hidden fields included. */
    submit(page: FormPage, fields: Record<string, string>) {
      const action = /<form method="post" action="([^"]+)"/.exec(page.html)?.[1];
      if (!action) throw new Error(`no form on the page at ${page.url} (${page.status})`);
      const hidden = Object.fromEntries([...page.html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, unescape(m[2]!)]));
      return request(new URL(unescape(action), page.url).toString(), { ...hidden, ...fields });
    },
  };
}

/** The entities escapeHtml writes, back to characters. */
function unescape(html: string): string {
  return html.replace(/&(amp|lt|gt|quot|#39);/g, (_m, entity: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[entity]!);
}

/** A page, or fails saying where the browser went instead. */
export function aPage(result: FormPage | string, expected: string): FormPage {
  if (typeof result === 'string') throw new Error(`expected ${expected}, but the browser was sent back to the relying party`);
  return result;
}

/** The relying party's address, or fails with the page the browser stopped at instead. */
export function backAtRelyingParty(result: FormPage | string): string {
  if (typeof result !== 'string') throw new Error(`expected to be sent back to the relying party, but stopped at ${result.url} (${result.status}): ${/<h1>([^<]*)<\/h1>/.exec(result.html)?.[1] ?? ''} ${/role="alert"[^>]*>([^<]*)</.exec(result.html)?.[1] ?? ''}`);
  return result;
}
