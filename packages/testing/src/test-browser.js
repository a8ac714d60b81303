/**
 * A browser without JavaScript, for tests (and benchmarks) of the login pages, which have none:
 * follows redirects by hand, keeps the cookies it is given, submits a page's form with its CSRF
 * field, and stops when it is sent to a relying party's address (returned as a string):
 * `relyingParty`, or any of them. Nothing needs to listen there, as when a developer copies the
 * code from the address bar.
 * @param {string} origin what relative addresses are resolved against
 * @param {string | string[]} [relyingParty]
 */
export function testBrowser(origin, relyingParty = 'http://rp.test/') {
  const relyingParties = [relyingParty].flat();
  /** @type {Map<string, string>} */
  const cookies = new Map();
  /**
   * Requests an address (POSTing `form` when given), keeping the cookies it sets; no redirect followed.
   * @param {string} url
   * @param {Record<string, string>} [form]
   */
  const go = async (url, form) => {
    const response = await fetch(new URL(url, origin), {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; '), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    for (const line of response.headers.getSetCookie()) {
      const [name = '', ...value] = (line.split(';')[0] ?? '').split('=');
      cookies.set(name.trim(), value.join('='));
    }
    return response;
  };
  /**
   * Follows redirects: the page at the end, or the relying party's address the browser was sent to.
   * @param {Response} response
   * @returns {Promise<Response | string>}
   */
  const follow = async (response) => {
    for (let hops = 0; response.status >= 300 && response.status < 400; hops++) {
      // A redirect loop fails at once rather than at a test's timeout.
      if (hops === 20) throw new Error(`more than 20 redirects, the last to ${response.headers.get('location')}`);
      const location = new URL(response.headers.get('location') ?? '', origin).toString();
      if (relyingParties.some((address) => location.startsWith(address))) return location;
      response = await go(location);
    }
    return response;
  };
  /**
   * Submits the page's form (the first whose action matches, if given) with these fields and its CSRF token.
   * @param {string} html
   * @param {Record<string, string>} fields
   * @param {RegExp} [actionMatching]
   */
  const submit = async (html, fields, actionMatching = /./) => {
    const actions = [...html.matchAll(/<form method="post" action="([^"]+)"/g)].map((m) => unescapeHtml(m[1] ?? ''));
    const action = actions.find((a) => actionMatching.test(a));
    if (action === undefined) throw new Error(`no form on the page whose action matches ${actionMatching}${actions.length ? ` (its forms: ${actions.join(', ')})` : ''}`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
    if (csrf === undefined) throw new Error(`no CSRF field on the page with the form ${action}`);
    return follow(await go(action, { csrf: unescapeHtml(csrf), ...fields }));
  };
  return { go, follow, submit };
}

/**
 * The entities the pages' escapeHtml writes, back to characters.
 * @param {string} html
 */
function unescapeHtml(html) {
  /** @type {Record<string, string>} */
  const characters = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" };
  return html.replace(/&(amp|lt|gt|quot|#39);/g, (_m, entity) => characters[entity] ?? '');
}
