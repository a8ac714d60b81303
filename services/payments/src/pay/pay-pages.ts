import { escapeHtml, pageShell } from '@tamkeen/http-kit';
import { formatMoney } from '../domain/money.js';
import type { Payment } from '../payments/payment-repository.js';

/** The citizen's payment pages: Arabic and right-to-left by default, English with ?lang=en. */
export type Lang = 'ar' | 'en';

const TEXT = {
  ar: {
    service: 'تمكين — الدفع الإلكتروني',
    otherLanguage: 'English',
    payTitle: 'ادفع',
    ministry: 'الجهة',
    description: 'مقابل',
    amount: 'المبلغ',
    reference: 'المرجع',
    cardNumber: 'رقم البطاقة',
    cardNumberHint: 'الأرقام المطبوعة على وجه البطاقة',
    cardExpiry: 'تاريخ الانتهاء',
    cardExpiryHint: 'الشهر ثم السنة، مثل \u206612/29\u2069',
    cardCvc: 'رمز الأمان',
    cardCvcHint: 'ثلاثة أرقام على ظهر البطاقة (أربعة على وجه بطاقات أمريكان إكسبريس)',
    payButton: 'ادفع',
    cardNote: 'تُرسل بيانات بطاقتك مباشرة إلى مزوّد خدمة الدفع، ولا تصل إلى خوادم الجهة الحكومية.',
    noScript: 'تحتاج هذه الصفحة إلى تفعيل JavaScript في متصفحك: به تُرسل بيانات بطاقتك إلى مزوّد خدمة الدفع مباشرة، فلا تمر بخوادم الجهة الحكومية. فعّله ثم أعد تحميل الصفحة.',
    badNumber: 'رقم البطاقة غير صحيح. تأكد من الأرقام.',
    badExpiry: 'تاريخ الانتهاء غير صحيح. اكتب الشهر ثم السنة، مثل \u206612/29\u2069.',
    expiredCard: 'انتهت صلاحية هذه البطاقة.',
    badCvc: 'رمز الأمان غير صحيح: ثلاثة أرقام أو أربعة.',
    pspDown: 'تعذّر الاتصال بمزوّد خدمة الدفع. لم يُخصم شيء. حاول مرة أخرى بعد قليل.',
    sending: 'جارٍ الإرسال…',
    csrf: 'انتهت صلاحية هذه الصفحة. أعد تحميلها وحاول مرة أخرى.',
    badToken: 'لم تصل بيانات البطاقة. أعد تحميل الصفحة وحاول مرة أخرى.',
    unavailableTitle: 'تعذّر إتمام الدفع الآن',
    unavailable: 'تعذّر الاتصال بمزوّد خدمة الدفع. لا تدفع مرة أخرى الآن: قد تكون العملية قد تمت. افتح صفحة النتيجة بعد دقيقة لتعرف ما جرى.',
    checkResult: 'صفحة النتيجة',
    succeededTitle: 'تم الدفع',
    succeeded: 'وصلتنا دفعتك. احتفظ بالمرجع.',
    paid: 'المبلغ المدفوع',
    failedTitle: 'لم يتم الدفع',
    failedNote: 'لم يُخصم أي مبلغ. ارجع إلى الجهة لتبدأ دفعة جديدة، ببطاقة أخرى إن شئت.',
    declined: 'رفض البنك المصدر للبطاقة هذه العملية.',
    insufficientFunds: 'رصيد البطاقة لا يكفي لهذا المبلغ.',
    cardExpired: 'انتهت صلاحية البطاقة.',
    incorrectCvc: 'رمز الأمان غير صحيح.',
    authenticationFailed: 'لم يكتمل تحقق البنك من هويتك (3-D Secure).',
    notCharged: 'تعذّر إتمام الدفع بهذه البطاقة.',
    cancelledTitle: 'أُلغيت هذه الدفعة',
    cancelled: 'ألغت الجهة هذه الدفعة، فلا يمكن دفعها. لم يُخصم أي مبلغ.',
    expiredTitle: 'انتهت مهلة الدفع',
    expired: 'لم تكتمل هذه الدفعة في الوقت المحدد، فلا يمكن دفعها الآن. لم يُخصم أي مبلغ. ارجع إلى الجهة لتبدأ من جديد.',
    processingTitle: 'جارٍ إتمام الدفع',
    processing: 'ننتظر ردّ مزوّد خدمة الدفع. تتحدّث هذه الصفحة وحدها. لا تدفع مرة أخرى.',
    continue: 'العودة إلى الجهة',
    cannotCharge: 'لا يقبل مزوّد خدمة الدفع هذه الدفعة بالبطاقة. لم يُخصم شيء. ارجع إلى الجهة.',
    notFoundTitle: 'لا توجد دفعة',
    notFound: 'لا نعرف هذه الدفعة. ارجع إلى الجهة التي أرسلتك إلى هنا.',
    loginTitle: 'سجّل الدخول لتدفع',
    loginNeeded: 'لدفع هذا المبلغ سجّل الدخول أولًا إلى حسابك في تمكين: برقم الهوية وكلمة المرور، ثم رمز تحقق يصلك برسالة نصية.',
    loginWhy: 'تطلب الجهة ذلك للمبالغ الكبيرة، لتعرف من دفع.',
    loginButton: 'سجّل الدخول لتدفع',
    loggedIn: 'سجّلت الدخول. يمكنك الدفع الآن.',
    loginFirst: 'سجّل الدخول أولًا: لا يمكن دفع هذا المبلغ دون تسجيل الدخول. لم يُخصم أي مبلغ.',
    loginAgain: 'سجّل شخص آخر الدخول لهذه الدفعة بعدك. سجّل الدخول مرة أخرى لتدفع. لم يُخصم أي مبلغ.',
    loginUnavailableTitle: 'لا يمكن دفع هذه الدفعة هنا الآن',
    loginUnavailable: 'يحتاج دفع هذا المبلغ إلى تسجيل الدخول، وتسجيل الدخول غير متاح الآن. لم يُخصم أي مبلغ. حاول لاحقًا، أو ارجع إلى الجهة.',
    loginFailedTitle: 'لم يكتمل تسجيل الدخول',
    loginNotCompleted: 'لم يكتمل تسجيل الدخول، ولم يُخصم أي مبلغ. ارجع إلى صفحة الدفع وسجّل الدخول مرة أخرى.',
    loginExpired: 'انتهت صلاحية تسجيل الدخول هذا أو استُخدم من قبل. افتح صفحة الدفع من جديد من رابط الجهة وسجّل الدخول.',
    loginOtherBrowser: 'بدأ تسجيل الدخول هذا في متصفح آخر، فلا يُقبل هنا. افتح صفحة الدفع في هذا المتصفح وسجّل الدخول منه.',
    loginRefused: 'لم يكن تسجيل الدخول بالمستوى الذي تحتاجه هذه الدفعة (كلمة المرور ثم رمز تحقق)، فلم يُعتمد. ارجع إلى صفحة الدفع وسجّل الدخول مرة أخرى.',
    loginIssuerDown: 'تعذّر إتمام تسجيل الدخول الآن. لم يُخصم أي مبلغ. حاول مرة أخرى بعد قليل.',
    backToPayment: 'العودة إلى صفحة الدفع',
    loginUnusable: 'تعذّر اعتماد تسجيل الدخول هذا لهذه الدفعة، فلم يُسجَّل شيء ولم يُخصم أي مبلغ. ارجع إلى صفحة الدفع وسجّل الدخول مرة أخرى.',
  },
  en: {
    service: 'Tamkeen — government payments',
    otherLanguage: 'العربية',
    payTitle: 'Pay',
    ministry: 'To',
    description: 'For',
    amount: 'Amount',
    reference: 'Reference',
    cardNumber: 'Card number',
    cardNumberHint: 'The long number on the front of your card',
    cardExpiry: 'Expiry date',
    cardExpiryHint: 'Month then year, for example 12/29',
    cardCvc: 'Security code',
    cardCvcHint: 'The 3 digits on the back of the card (4 on the front for American Express)',
    payButton: 'Pay',
    cardNote: 'Your card details go straight to the payment provider; they never reach the government’s servers.',
    noScript: 'This page needs JavaScript turned on in your browser: it sends your card details straight to the payment provider, so that they never pass through the government’s servers. Turn it on, then reload the page.',
    badNumber: 'The card number is not right. Check the digits.',
    badExpiry: 'The expiry date is not right. Type the month then the year, for example 12/29.',
    expiredCard: 'This card has expired.',
    badCvc: 'The security code is not right: 3 or 4 digits.',
    pspDown: 'The payment provider cannot be reached. Nothing was charged. Try again in a moment.',
    sending: 'Sending…',
    csrf: 'This page has expired. Reload it and try again.',
    badToken: 'The card details did not arrive. Reload the page and try again.',
    unavailableTitle: 'Your payment cannot be finished right now',
    unavailable: 'The payment provider cannot be reached. Do not pay again now: the payment may have gone through. Open the result page in a minute to see what happened.',
    checkResult: 'Result page',
    succeededTitle: 'Payment received',
    succeeded: 'Your payment was received. Keep the reference.',
    paid: 'Amount paid',
    failedTitle: 'Your payment did not go through',
    failedNote: 'Nothing was charged. Go back to the service to start a new payment, with another card if you wish.',
    declined: 'Your card’s bank declined the payment.',
    insufficientFunds: 'There is not enough money on the card for this amount.',
    cardExpired: 'The card has expired.',
    incorrectCvc: 'The security code was not right.',
    authenticationFailed: 'Your bank’s check that it is you (3-D Secure) was not completed.',
    notCharged: 'The payment could not be made with this card.',
    cancelledTitle: 'This payment was cancelled',
    cancelled: 'The service cancelled this payment, so it cannot be paid. Nothing was charged.',
    expiredTitle: 'The time to pay has run out',
    expired: 'This payment was not finished in time, so it cannot be paid now. Nothing was charged. Go back to the service to start again.',
    processingTitle: 'Finishing your payment',
    processing: 'We are waiting for the payment provider’s answer. This page refreshes by itself. Do not pay again.',
    continue: 'Back to the service',
    cannotCharge: 'The payment provider does not accept this payment by card. Nothing was charged. Go back to the service.',
    notFoundTitle: 'No such payment',
    notFound: 'We do not know this payment. Go back to the service that sent you here.',
    loginTitle: 'Log in to pay',
    loginNeeded: 'To pay this amount, first log in to your Tamkeen account: your ID number and password, then a security code we send you by text message.',
    loginWhy: 'The service asks for this for larger amounts, so that it knows who paid.',
    loginButton: 'Log in to pay',
    loggedIn: 'You are logged in. You can pay now.',
    loginFirst: 'Log in first: this amount cannot be paid without logging in. Nothing was charged.',
    loginAgain: 'Someone else logged in to pay this payment after you. Log in again to pay. Nothing was charged.',
    loginUnavailableTitle: 'This payment cannot be taken here right now',
    loginUnavailable: 'Paying this amount needs you to log in, and logging in is not available right now. Nothing was charged. Try again later, or go back to the service.',
    loginFailedTitle: 'Your login was not completed',
    loginNotCompleted: 'You did not finish logging in, and nothing was charged. Go back to the payment and log in again.',
    loginExpired: 'This login has expired or was already used. Open the payment again from the service’s link, and log in.',
    loginOtherBrowser: 'This login was started in another browser, so it is not accepted here. Open the payment in this browser and log in from it.',
    loginRefused: 'Your login was not at the level this payment needs (your password, then a security code), so it was not used. Go back to the payment and log in again.',
    loginIssuerDown: 'Your login cannot be completed right now. Nothing was charged. Try again in a moment.',
    backToPayment: 'Back to the payment',
    loginUnusable: 'This login could not be used for this payment, so nothing was recorded and nothing was charged. Go back to the payment and log in again.',
  },
} as const;

export type MessageKey = keyof (typeof TEXT)['ar'];

export const text = (lang: Lang, key: MessageKey): string => TEXT[lang][key];

/** The messages the card script shows (it has no text of its own). */
const SCRIPT_MESSAGES = ['badNumber', 'badExpiry', 'expiredCard', 'badCvc', 'pspDown', 'sending', 'payButton'] as const satisfies readonly MessageKey[];

const alertOf = (lang: Lang, error?: MessageKey) => (error ? `<p class="error" role="alert" id="error">${escapeHtml(text(lang, error))}</p>\n` : '');

function page(lang: Lang, title: string, switchHref: string, body: string, { refresh }: { refresh?: number } = {}): string {
  return pageShell({ lang, title, service: text(lang, 'service'), otherLanguage: text(lang, 'otherLanguage'), switchHref, stylesheet: '/pay/static/pay.css', body, ...(refresh ? { refreshSeconds: refresh } : {}) });
}

/**
 * What is being paid: the ministry (its service name in the page's language, from its payment
 * settings; its organisation id until it has set one), what for, how much (and the reference once paid).
 */
function summary(lang: Lang, p: Payment, ministry: string, { amountLabel = 'amount', withReference = false }: { amountLabel?: MessageKey; withReference?: boolean } = {}): string {
  const row = (label: MessageKey, value: string, cls = '') => `<div${cls ? ` class="${cls}"` : ''}><dt>${escapeHtml(text(lang, label))}</dt><dd><bdi>${value}</bdi></dd></div>`;
  return `<dl class="summary">
${row('ministry', `<span id="ministry">${escapeHtml(ministry)}</span>`)}
${row('description', escapeHtml(p.description))}
${row(amountLabel, `<strong id="amount">${escapeHtml(formatMoney({ amount: p.amount, currency: p.currency }, lang))}</strong>`, 'amount')}${withReference ? `\n${row('reference', `<span dir="ltr" id="reference">${escapeHtml(p.reference)}</span>`)}` : ''}
</dl>`;
}

const continueLink = (lang: Lang, p: Payment) => `<p><a class="button" id="continue" href="${escapeHtml(p.returnUrl)}">${escapeHtml(text(lang, 'continue'))}</a></p>`;

export interface CardPageInput {
  lang: Lang;
  payment: Payment;
  /** The ministry's name in the page's language. */
  ministry: string;
  /** The citizen logged in to pay (a payment above the ministry's threshold): said above the form. */
  loggedIn?: boolean;
  action: string;
  switchHref: string;
  csrf: string;
  pspUrl: string;
  publishableKey: string;
  error?: MessageKey;
}

/**
 * The card form. The card fields have no `name`, so a submission can never carry them: the script
 * (/pay/static/pay.js) tokenises the card at the PSP and submits only the token, in
 * `payment_method`. Without script the form stays hidden and the page says why.
 */
export function cardPage({ lang, payment, ministry, loggedIn = false, action, switchHref, csrf, pspUrl, publishableKey, error }: CardPageInput): string {
  const messages = Object.fromEntries(SCRIPT_MESSAGES.map((key) => [key, text(lang, key)]));
  const field = (id: string, label: MessageKey, hint: MessageKey, attributes: string) =>
    `<label for="${id}">${escapeHtml(text(lang, label))}</label>
<p class="hint" id="${id}-hint">${escapeHtml(text(lang, hint))}</p>
<input id="${id}" ${attributes} dir="ltr" spellcheck="false" aria-describedby="${id}-hint card-error" required>`;
  return page(
    lang,
    text(lang, 'payTitle'),
    switchHref,
    `${alertOf(lang, error)}${loggedIn ? `<p class="success" role="status" id="logged-in">${escapeHtml(text(lang, 'loggedIn'))}</p>\n` : ''}${summary(lang, payment, ministry)}
<noscript><p class="error" id="noscript">${escapeHtml(text(lang, 'noScript'))}</p></noscript>
<form id="pay-form" method="post" action="${escapeHtml(action)}" novalidate hidden data-psp-url="${escapeHtml(pspUrl)}" data-publishable-key="${escapeHtml(publishableKey)}">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<input type="hidden" name="payment_method" id="payment_method" value="">
<p class="error" role="alert" id="card-error" hidden></p>
${field('card-number', 'cardNumber', 'cardNumberHint', 'type="text" inputmode="numeric" autocomplete="cc-number" maxlength="23"')}
${field('card-expiry', 'cardExpiry', 'cardExpiryHint', 'type="text" inputmode="numeric" autocomplete="cc-exp" maxlength="7" placeholder="MM/YY"')}
${field('card-cvc', 'cardCvc', 'cardCvcHint', 'type="text" inputmode="numeric" autocomplete="cc-csc" maxlength="4" class="short"')}
<button type="submit" id="pay-button">${escapeHtml(text(lang, 'payButton'))}</button>
<p class="hint">${escapeHtml(text(lang, 'cardNote'))}</p>
</form>
<script type="application/json" id="pay-messages">${JSON.stringify(messages).replace(/</g, '\\u003c')}</script>
<script src="/pay/static/pay.js"></script>`,
  );
}

/** Why a failed payment failed, in plain words, from the PSP's codes. */
export function failureReason(data: Record<string, unknown> | undefined): MessageKey {
  const code = typeof data?.code === 'string' ? data.code : '';
  const decline = typeof data?.decline_code === 'string' ? data.decline_code : '';
  if (decline === 'insufficient_funds' || code === 'insufficient_funds') return 'insufficientFunds';
  if (code === 'expired_card') return 'cardExpired';
  if (code === 'incorrect_cvc') return 'incorrectCvc';
  if (code === 'payment_intent_authentication_failure' || code === 'authentication_failed') return 'authenticationFailed';
  if (code === 'card_declined') return 'declined';
  return 'notCharged';
}

/**
 * Where a payment has come to, for the citizen: paid (amount and reference), failed (why), cancelled,
 * expired, or still waiting for the PSP (the page refreshes itself). Each final one leads back to
 * the ministry's return_url.
 */
export function outcomePage({ lang, payment, ministry, switchHref, failure }: { lang: Lang; payment: Payment; ministry: string; switchHref: string; failure?: MessageKey }): string {
  switch (payment.status) {
    case 'succeeded':
      return page(lang, text(lang, 'succeededTitle'), switchHref, `<p class="success" role="status">${escapeHtml(text(lang, 'succeeded'))}</p>\n${summary(lang, payment, ministry, { amountLabel: 'paid', withReference: true })}\n${continueLink(lang, payment)}`);
    case 'failed':
      return page(lang, text(lang, 'failedTitle'), switchHref, `<p class="error" role="alert" id="reason">${escapeHtml(text(lang, failure ?? 'notCharged'))}</p>\n<p>${escapeHtml(text(lang, 'failedNote'))}</p>\n${summary(lang, payment, ministry)}\n${continueLink(lang, payment)}`);
    case 'cancelled':
    case 'expired':
      return page(lang, text(lang, payment.status === 'cancelled' ? 'cancelledTitle' : 'expiredTitle'), switchHref, `<p class="error" role="alert">${escapeHtml(text(lang, payment.status))}</p>\n${summary(lang, payment, ministry)}\n${continueLink(lang, payment)}`);
    default:
      return page(lang, text(lang, 'processingTitle'), switchHref, `<p role="status">${escapeHtml(text(lang, 'processing'))}</p>\n${summary(lang, payment, ministry)}`, { refresh: 3 });
  }
}

/** The PSP could not be reached after the payment was submitted: do not pay again; look at the result later. */
export function unavailablePage({ lang, switchHref, resultHref }: { lang: Lang; switchHref: string; resultHref: string }): string {
  return page(lang, text(lang, 'unavailableTitle'), switchHref, `<p class="error" role="alert">${escapeHtml(text(lang, 'unavailable'))}</p>\n<p><a href="${escapeHtml(resultHref)}">${escapeHtml(text(lang, 'checkResult'))}</a></p>`);
}

/**
 * A payment above its ministry's threshold, before the citizen has logged in: what it is, why a
 * login is needed, and the way to it (a link: the login leaves for the citizen issuer's pages).
 */
export function loginPage({ lang, payment, ministry, switchHref, loginHref, error }: { lang: Lang; payment: Payment; ministry: string; switchHref: string; loginHref: string; error?: MessageKey }): string {
  return page(
    lang,
    text(lang, 'loginTitle'),
    switchHref,
    `${alertOf(lang, error)}${summary(lang, payment, ministry)}
<p id="login-needed">${escapeHtml(text(lang, 'loginNeeded'))}</p>
<p class="hint">${escapeHtml(text(lang, 'loginWhy'))}</p>
<p><a class="button" id="login" href="${escapeHtml(loginHref)}">${escapeHtml(text(lang, 'loginButton'))}</a></p>`,
  );
}

/** A payment above its ministry's threshold when the citizen login is not configured: it cannot be taken, and the page says so. */
export function loginUnavailablePage({ lang, payment, ministry, switchHref }: { lang: Lang; payment: Payment; ministry: string; switchHref: string }): string {
  return page(lang, text(lang, 'loginUnavailableTitle'), switchHref, `<p class="error" role="alert" id="login-unavailable">${escapeHtml(text(lang, 'loginUnavailable'))}</p>\n${summary(lang, payment, ministry)}\n${continueLink(lang, payment)}`);
}

/** A login that came back unusable: why, and (when the payment is known) the way back to it. */
export function loginProblemPage({ lang, switchHref, message, backHref }: { lang: Lang; switchHref: string; message: MessageKey; backHref?: string }): string {
  return page(
    lang,
    text(lang, 'loginFailedTitle'),
    switchHref,
    `<p class="error" role="alert" id="login-problem">${escapeHtml(text(lang, message))}</p>${backHref ? `\n<p><a class="button" id="back-to-payment" href="${escapeHtml(backHref)}">${escapeHtml(text(lang, 'backToPayment'))}</a></p>` : ''}`,
  );
}

export function messagePage({ lang, switchHref, title, message }: { lang: Lang; switchHref: string; title: MessageKey; message: MessageKey }): string {
  return page(lang, text(lang, title), switchHref, `<p class="error" role="alert">${escapeHtml(text(lang, message))}</p>`);
}

/** The one stylesheet, served from the page's own origin (the Content-Security-Policy allows nothing else). */
export const STYLESHEET = `*{box-sizing:border-box}
body{margin:0;font:1.125rem/1.5 system-ui,"Noto Naskh Arabic","Segoe UI",Tahoma,sans-serif;color:#0b0c0c;background:#fff}
header{display:flex;justify-content:space-between;align-items:center;padding:.75rem 1rem;background:#0b3d2e;color:#fff}
header a{color:#fff}
.service{margin:0;font-weight:700}
main{max-width:32rem;margin:0 auto;padding:1rem}
h1{font-size:1.75rem}
.summary{margin:0 0 1.5rem;padding:.75rem 1rem;border:1px solid #b1b4b6}
.summary div{display:flex;flex-wrap:wrap;gap:.25rem 1rem;padding:.25rem 0}
.summary dt{min-width:5rem;color:#505a5f}
.summary dd{margin:0;font-weight:700}
.summary .amount dd{font-size:1.5rem}
label{display:block;font-weight:700;margin-top:1rem}
.hint{margin:.25rem 0;color:#505a5f}
input{display:block;width:100%;padding:.5rem;font:inherit;border:2px solid #0b0c0c;border-radius:0}
input.short{max-width:8rem}
input[aria-invalid=true]{border-color:#d4351c}
input:focus,button:focus,a:focus{outline:3px solid #fd0;outline-offset:0;box-shadow:inset 0 0 0 2px #0b0c0c}
button,.button{display:inline-block;margin-top:1.5rem;padding:.6rem 1.2rem;font:inherit;font-weight:700;color:#fff;background:#00703c;border:0;box-shadow:0 2px 0 #002d18;cursor:pointer;text-decoration:none}
button[disabled]{opacity:.6;cursor:progress}
.error{padding:.75rem;border-inline-start:5px solid #d4351c;color:#d4351c;font-weight:700}
.success{padding:.75rem;border-inline-start:5px solid #00703c;color:#00703c;font-weight:700}`;
