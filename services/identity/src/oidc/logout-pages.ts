import type { KoaContextWithOIDC } from 'oidc-provider';

const PAGE_HEADERS = { 'Content-Security-Policy': "default-src 'none'; style-src 'self'; base-uri 'none'; frame-ancestors 'none'", 'Cache-Control': 'no-store' };

const langOf = (ctx: KoaContextWithOIDC) => (String(ctx.oidc.params?.ui_locales ?? '').startsWith('en') ? 'en' : 'ar');

function shell(lang: 'ar' | 'en', title: string, body: string) {
  return `<!doctype html>
<html lang="${lang}" dir="${lang === 'ar' ? 'rtl' : 'ltr'}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title><link rel="stylesheet" href="/auth/static/tamkeen.css"></head>
<body><header><p class="service">${lang === 'ar' ? 'تمكين — الدخول الموحّد' : 'Tamkeen — government login'}</p></header>
<main><h1>${title}</h1>
${body}
</main></body></html>`;
}

/** RP-initiated logout: "log out of every service?" (oidc-provider supplies the form with its CSRF field). */
export async function logoutPage(ctx: KoaContextWithOIDC, form: string): Promise<void> {
  const lang = langOf(ctx);
  ctx.set(PAGE_HEADERS);
  ctx.body = shell(
    lang,
    lang === 'ar' ? 'تسجيل الخروج' : 'Log out',
    `<p>${lang === 'ar' ? 'هل تريد الخروج من حسابك في كل الخدمات الحكومية؟' : 'Log out of your account on every government service?'}</p>
${form}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">${lang === 'ar' ? 'نعم، أخرجني' : 'Yes, log me out'}</button>
<button type="submit" form="op.logoutForm" class="secondary">${lang === 'ar' ? 'لا، ابقني داخلًا' : 'No, stay logged in'}</button>`,
  );
}

/** After logging out, when the relying party gave no address to return to. */
export async function loggedOutPage(ctx: KoaContextWithOIDC): Promise<void> {
  const lang = langOf(ctx);
  ctx.set(PAGE_HEADERS);
  ctx.body = shell(lang, lang === 'ar' ? 'خرجت من حسابك' : 'You have logged out', `<p>${lang === 'ar' ? 'يمكنك إغلاق هذه الصفحة.' : 'You can close this page.'}</p>`);
}
