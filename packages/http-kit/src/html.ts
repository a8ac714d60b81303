/** Text made safe to put in HTML (element content or a quoted attribute). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

export interface PageShell {
  lang: 'ar' | 'en';
  /** The page's heading (and the first part of its title). */
  title: string;
  /** The service's name, in the page's language, in the header and the title. */
  service: string;
  /** "English" on an Arabic page, "العربية" on an English one: the language switch's words. */
  otherLanguage: string;
  /** The same page in the other language. */
  switchHref: string;
  /** The page's one stylesheet, from its own origin (the Content-Security-Policy allows nothing else). */
  stylesheet: string;
  /** The page's content (already escaped HTML). */
  body: string;
  /** Reload the page after this many seconds (a result still being decided). */
  refreshSeconds?: number;
}

/**
 * The platform's citizen-facing page: right to left in Arabic (the default), left to right in
 * English, a header with the service's name and the language switch, one heading, no script.
 * Identity's login pages and the payment page share it.
 */
export function pageShell({ lang, title, service, otherLanguage, switchHref, stylesheet, body, refreshSeconds }: PageShell): string {
  return `<!doctype html>
<html lang="${lang}" dir="${lang === 'ar' ? 'rtl' : 'ltr'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">${refreshSeconds ? `\n<meta http-equiv="refresh" content="${refreshSeconds}">` : ''}
<title>${escapeHtml(title)} — ${escapeHtml(service)}</title>
<link rel="stylesheet" href="${escapeHtml(stylesheet)}">
</head>
<body>
<header><p class="service">${escapeHtml(service)}</p><a class="language" href="${escapeHtml(switchHref)}" lang="${lang === 'ar' ? 'en' : 'ar'}">${escapeHtml(otherLanguage)}</a></header>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>`;
}
