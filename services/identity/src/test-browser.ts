/**
 * A browser without JavaScript, for tests of the login pages: follows redirects by hand, keeps
 * the identity service's cookies, submits forms with their CSRF field, and stops at a relying
 * party's address (returned as a string): `relyingParty`, or any of them.
 */
export function testBrowser(origin: string, relyingParty: string | string[] = 'http://rp.test/') {
  const relyingParties = [relyingParty].flat();
  const cookies = new Map<string, string>();
  const go = async (url: string, form?: Record<string, string>): Promise<Response> => {
    const response = await fetch(new URL(url, origin), {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    for (const line of response.headers.getSetCookie()) {
      const [name, ...value] = line.split(';')[0]!.split('=');
      cookies.set(name!.trim(), value.join('='));
    }
    return response;
  };
  const follow = async (response: Response): Promise<Response | string> => {
    for (let hops = 0; response.status >= 300 && response.status < 400; hops++) {
      // A redirect loop fails the test at once rather than at its timeout.
      if (hops === 20) throw new Error(`more than 20 redirects, the last to ${response.headers.get('location')}`);
      const location = new URL(response.headers.get('location')!, origin).toString();
      if (relyingParties.some((address) => location.startsWith(address))) return location;
      response = await go(location);
    }
    return response;
  };
  /** Submits the page's form (the first whose action matches, if given) with these fields and its CSRF token. */
  const submit = async (html: string, fields: Record<string, string>, actionMatching = /./) => {
    const actions = [...html.matchAll(/<form method="post" action="([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
    const action = actions.find((a) => actionMatching.test(a))!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
    return follow(await go(action, { csrf, ...fields }));
  };
  return { go, follow, submit };
}
