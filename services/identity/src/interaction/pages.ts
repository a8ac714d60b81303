import { escapeHtml, pageShell } from '@tamkeen/http-kit';
/** The citizen's pages: Arabic and right-to-left by default, English on request; no script at all. */
export type Lang = 'ar' | 'en';

const TEXT = {
  ar: {
    service: 'تمكين — الدخول الموحّد',
    loginTitle: 'تسجيل الدخول',
    nationalId: 'رقم الهوية',
    nationalIdHint: 'تسعة أرقام كما في بطاقة الهوية',
    password: 'كلمة المرور',
    submit: 'دخول',
    otherLanguage: 'English',
    errorTitle: 'تعذّر الدخول',
    wrong: 'رقم الهوية أو كلمة المرور غير صحيحة.',
    throttled: 'محاولات كثيرة. حاول مرة أخرى بعد دقيقة.',
    deceased: 'يسجّل السجل المدني صاحب هذا الرقم متوفّى، فلا يمكن الدخول بهذا الحساب. إن كان هذا خطأ فراجع وزارة الداخلية.',
    revoked: 'بطاقة الهوية لهذا الرقم ملغاة، فلا يمكن الدخول حتى تصدر بطاقة جديدة. راجع وزارة الداخلية.',
    unknown: 'لا يعرف السجل المدني هذا الرقم الآن. راجع وزارة الداخلية.',
    registerDown: 'لا يمكن الاتصال بالسجل المدني الآن للتحقق من هويتك. حاول بعد قليل.',
    expired: 'انتهت صلاحية هذه الصفحة. ارجع إلى الخدمة التي كنت تستخدمها وابدأ من جديد.',
    csrf: 'انتهت صلاحية النموذج. أعد المحاولة.',
    codeTitle: 'أدخل رمز التحقق',
    codeSent: 'أرسلنا رمزًا من ستة أرقام برسالة نصية إلى الرقم',
    codeLabel: 'رمز التحقق',
    codeHint: 'الرمز صالح خمس دقائق',
    codeSubmit: 'تحقّق',
    resend: 'أرسل رمزًا جديدًا',
    codeWrong: 'الرمز غير صحيح. تبقّت لك محاولات قليلة قبل إيقاف الرموز مدة ربع ساعة.',
    codeExpired: 'انتهت صلاحية هذا الرمز. اطلب رمزًا جديدًا.',
    locked: 'أُدخل رمز خاطئ مرات كثيرة، فأوقفنا الرموز لهذا الحساب مدة ربع ساعة.',
    tooSoon: 'أُرسل رمز قبل أقل من دقيقة. انتظر قليلًا ثم اطلب رمزًا جديدًا.',
    noPhone: 'لا يوجد رقم هاتف مؤكَّد لهذا الحساب، فلا يمكن إرسال رمز.',
    codeNotSent: 'تعذّر إرسال الرمز الآن. حاول بعد قليل.',
    enrolLink: 'ليس لديك حساب؟ أنشئ حسابًا',
    enrolTitle: 'إنشاء حساب',
    enrolIntro: 'نتحقق من هويتك في السجل المدني. أدخل البيانات كما في بطاقة الهوية.',
    dateOfBirth: 'تاريخ الميلاد',
    dateOfBirthHint: 'مثل \u20661990-04-12\u2069',
    motherName: 'اسم الأم الأول',
    continue: 'متابعة',
    badNationalId: 'رقم الهوية غير صحيح. تأكد من الأرقام التسعة.',
    noMatch: 'هذه البيانات لا تطابق السجل المدني. تأكد منها كما في بطاقة الهوية.',
    alreadyEnrolled: 'لهذا الرقم حساب من قبل. سجّل الدخول بكلمة المرور.',
    registerDownEnrol: 'لا يمكن الاتصال بالسجل المدني الآن، فلا يمكن إنشاء الحساب. حاول بعد قليل.',
    phoneTitle: 'رقم الهاتف المحمول',
    phoneLabel: 'رقم الهاتف المحمول',
    phoneHint: 'سنرسل إليه رمزًا. إن كنت خارج فلسطين فاكتب الرقم مع رمز الدولة، مثل ‎+962…',
    badPhone: 'هذا ليس رقم هاتف محمول صالحًا.',
    passwordTitle: 'اختر كلمة مرور',
    newPassword: 'كلمة المرور الجديدة',
    newPasswordHint: 'عشرة أحرف على الأقل. عبارة طويلة تتذكرها أفضل من كلمة قصيرة معقدة.',
    confirmPassword: 'أعد كتابة كلمة المرور',
    passwordMismatch: 'كلمتا المرور غير متطابقتين.',
    passwordWeak: 'كلمة المرور قصيرة أو شائعة جدًا. اختر عبارة أطول.',
    appCodeTitle: 'أدخل الرمز من تطبيق المصادقة',
    appCodeIntro: 'افتح تطبيق المصادقة على هاتفك وأدخل الرمز المكوّن من ستة أرقام الظاهر فيه لحساب تمكين.',
    appCodeLabel: 'الرمز من التطبيق',
    appCodeHint: 'يتغيّر الرمز كل ثلاثين ثانية',
    appCodeWrong: 'الرمز غير صحيح أو استُخدم من قبل. انتظر الرمز التالي في التطبيق وأدخله.',
    useSmsInstead: 'ليس معك التطبيق؟ أرسل رمزًا برسالة نصية بدلًا منه',
    setupTitle: 'اربط تطبيق مصادقة',
    setupIntro: 'تطلب هذه الخدمة أعلى مستوى من التحقق، وهو يحتاج تطبيق مصادقة على هاتفك (مثل Google Authenticator أو Microsoft Authenticator أو FreeOTP).',
    setupScan: 'في التطبيق اختر إضافة حساب، ثم امسح هذا الرمز:',
    setupQrLabel: 'رمز QR لربط تطبيق المصادقة بحساب تمكين',
    setupKey: 'أو اكتب هذا المفتاح في التطبيق:',
    setupCodeLabel: 'الرمز الذي يظهره التطبيق الآن',
    setupCodeHint: 'ستة أرقام، تتغيّر كل ثلاثين ثانية',
    setupSubmit: 'اربط التطبيق',
    noAuthenticator: 'لا يوجد تطبيق مصادقة مربوط بهذا الحساب.',
    setupNeedsCode: 'لربط تطبيق مصادقة يلزم أولًا الرمز المرسل إلى هاتفك.',
    staffLoginTitle: 'دخول الموظفين',
    appAlreadyLinked: 'لهذا الحساب تطبيق مصادقة مربوط من قبل. لاستبداله (إن فقدت هاتفك مثلًا) راجع الجهة المسؤولة عن حسابك.',
    email: 'البريد الإلكتروني',
    staffWrong: 'البريد الإلكتروني أو كلمة المرور غير صحيحة.',
    staffSetupIntro: 'حسابات موظفي الجهات تحتاج تطبيق مصادقة على هاتفك (مثل Google Authenticator أو Microsoft Authenticator أو FreeOTP)، مرة واحدة عند أول دخول.',
    emailCodeSent: 'أرسلنا رمزًا من ستة أرقام بالبريد الإلكتروني إلى',
    sendByEmailInstead: 'أرسل الرمز بالبريد الإلكتروني بدلًا من ذلك',
    sendBySmsInstead: 'أرسل الرمز برسالة نصية بدلًا من ذلك',
    useEmailInstead: 'ليس معك التطبيق؟ أرسل رمزًا بالبريد الإلكتروني بدلًا منه',
    noEmail: 'لا يوجد بريد إلكتروني مؤكَّد لهذا الحساب، فلا يمكن إرسال رمز بالبريد.',
    extrasTitle: 'طرق إضافية لتسجيل الدخول',
    extrasIntro: 'أُنشئ حسابك. يمكنك إضافة ما يلي إن شئت، وكلاهما اختياري.',
    extrasEmail: 'أضف بريدًا إلكترونيًا',
    extrasEmailHint: 'لتصلك رموز الدخول بالبريد حين لا تصلك الرسائل النصية، في السفر مثلًا.',
    extrasApp: 'اربط تطبيق مصادقة',
    extrasAppHint: 'تطلبه الخدمات التي تحتاج أعلى مستوى من التحقق.',
    emailConfirmed: 'تأكّد بريدك الإلكتروني:',
    appLinked: 'رُبط تطبيق المصادقة بحسابك.',
    continueWithout: 'ليس الآن، تابع دونهما',
    notNow: 'ليس الآن',
    otherEmail: 'استخدم بريدًا آخر',
    emailTitle: 'بريدك الإلكتروني',
    emailHint: 'سنرسل إليه رمزًا للتأكد منه.',
    emailMissing: 'اكتب عنوان بريدك الإلكتروني.',
    emailNoAt: 'في عنوان البريد علامة @ بين الاسم والنطاق، مثل \u2066name@example.com\u2069.',
    emailBadDomain: 'ما بعد علامة @ ليس نطاقًا صالحًا، مثل \u2066example.com\u2069.',
    emailTooLong: 'عنوان البريد طويل جدًا: 254 حرفًا على الأكثر.',
    emailInvalid: 'هذا ليس عنوان بريد إلكتروني صالحًا. تأكد من الأحرف قبل علامة @ وبعدها.',
    setupIntroOffered: 'بتطبيق مصادقة على هاتفك (مثل Google Authenticator أو Microsoft Authenticator أو FreeOTP) تستطيع استخدام الخدمات التي تطلب أعلى مستوى من التحقق.',
    consentTitle: 'مشاركة بياناتك',
    consentAsks: 'هذه الجهة ليست جهة حكومية، وتطلب أن تعرف عنك:',
    consentOpenid: 'أنك صاحب الحساب (بمعرّف خاص بها، لا برقم هويتك)',
    consentProfile: 'اسمك الكامل بالعربية والإنجليزية وتاريخ ميلادك',
    consentPhone: 'رقم هاتفك المحمول',
    consentEmail: 'بريدك الإلكتروني',
    consentNationalId: 'رقم هويتك',
    consentOfflineAccess: 'أن تبقى متصلة بحسابك بعد مغادرتك، يومًا على الأكثر',
    consentNote: 'لك أن ترفض، فتعود إلى هذه الجهة دون أن تعرف عنك شيئًا.',
    consentAllow: 'اسمح',
    consentDeny: 'لا تسمح',
  },
  en: {
    service: 'Tamkeen — government login',
    loginTitle: 'Log in',
    nationalId: 'National ID number',
    nationalIdHint: 'The nine digits on your ID card',
    password: 'Password',
    submit: 'Log in',
    otherLanguage: 'العربية',
    errorTitle: 'You cannot log in',
    wrong: 'The ID number or the password is not right.',
    throttled: 'Too many tries. Try again in a minute.',
    deceased: 'The civil register records the holder of this number as deceased, so this account cannot be used. If this is a mistake, contact the Ministry of Interior.',
    revoked: 'The ID card with this number has been revoked: you cannot log in until a new card is issued. Contact the Ministry of Interior.',
    unknown: 'The civil register does not know this number now. Contact the Ministry of Interior.',
    registerDown: 'The civil register cannot be reached right now to check who you are. Try again shortly.',
    expired: 'This page has expired. Go back to the service you were using and start again.',
    csrf: 'The form has expired. Try again.',
    codeTitle: 'Enter your security code',
    codeSent: 'We sent a six-digit code by text message to',
    codeLabel: 'Security code',
    codeHint: 'The code works for five minutes',
    codeSubmit: 'Continue',
    resend: 'Send a new code',
    codeWrong: 'That code is not right. After a few more wrong tries, codes stop for 15 minutes.',
    codeExpired: 'That code has expired. Ask for a new one.',
    locked: 'A wrong code was typed too many times, so codes for this account are stopped for 15 minutes.',
    tooSoon: 'A code was sent less than a minute ago. Wait a moment, then ask for a new one.',
    noPhone: 'This account has no confirmed phone number, so no code can be sent.',
    codeNotSent: 'The code could not be sent right now. Try again shortly.',
    enrolLink: 'No account yet? Create one',
    enrolTitle: 'Create an account',
    enrolIntro: 'We check who you are with the civil register. Type the details as they are on your ID card.',
    dateOfBirth: 'Date of birth',
    dateOfBirthHint: 'For example 1990-04-12',
    motherName: "Your mother's first name (in Arabic)",
    continue: 'Continue',
    badNationalId: 'That ID number is not valid. Check the nine digits.',
    noMatch: 'These details do not match the civil register. Check them against your ID card.',
    alreadyEnrolled: 'This ID number already has an account. Log in with your password.',
    registerDownEnrol: 'The civil register cannot be reached right now, so the account cannot be created. Try again shortly.',
    phoneTitle: 'Your mobile number',
    phoneLabel: 'Mobile number',
    phoneHint: 'We will send a code to it. Outside Palestine, give the country code, like +962…',
    badPhone: 'That is not a valid mobile number.',
    passwordTitle: 'Choose a password',
    newPassword: 'New password',
    newPasswordHint: 'At least ten characters. A long phrase you remember is better than a short, complex word.',
    confirmPassword: 'Type the password again',
    passwordMismatch: 'The two passwords are not the same.',
    passwordWeak: 'That password is too short or too common. Choose a longer phrase.',
    appCodeTitle: 'Enter the code from your authenticator app',
    appCodeIntro: 'Open the authenticator app on your phone and type the six-digit code it shows for Tamkeen.',
    appCodeLabel: 'Code from the app',
    appCodeHint: 'The code changes every 30 seconds',
    appCodeWrong: 'That code is not right, or was used already. Wait for the next code in the app and type it.',
    useSmsInstead: 'Not got the app? Get a code by text message instead',
    setupTitle: 'Set up an authenticator app',
    setupIntro: 'This service needs the highest level of checks, which takes an authenticator app on your phone (such as Google Authenticator, Microsoft Authenticator or FreeOTP).',
    setupScan: 'In the app, choose to add an account, then scan this code:',
    setupQrLabel: 'QR code that links an authenticator app to your Tamkeen account',
    setupKey: 'Or type this key into the app:',
    setupCodeLabel: 'The code the app shows now',
    setupCodeHint: 'Six digits; they change every 30 seconds',
    setupSubmit: 'Link the app',
    noAuthenticator: 'No authenticator app is linked to this account.',
    setupNeedsCode: 'To link an authenticator app, first type the code sent to your phone.',
    staffLoginTitle: 'Staff log in',
    appAlreadyLinked: 'This account already has an authenticator app. To replace it (if you lost your phone, say), contact whoever manages your account.',
    email: 'E-mail address',
    staffWrong: 'The e-mail address or the password is not right.',
    staffSetupIntro: 'Staff accounts need an authenticator app on your phone (such as Google Authenticator, Microsoft Authenticator or FreeOTP), set up once at your first login.',
    emailCodeSent: 'We sent a six-digit code by e-mail to',
    sendByEmailInstead: 'Send the code by e-mail instead',
    sendBySmsInstead: 'Send the code by text message instead',
    useEmailInstead: 'Not got the app? Get a code by e-mail instead',
    noEmail: 'This account has no confirmed e-mail address, so no code can be sent by e-mail.',
    extrasTitle: 'More ways to log in',
    extrasIntro: 'Your account is ready. You can add these if you wish; both are optional.',
    extrasEmail: 'Add an e-mail address',
    extrasEmailHint: 'To get login codes by e-mail where text messages do not reach you, abroad for instance.',
    extrasApp: 'Link an authenticator app',
    extrasAppHint: 'Services that need the highest level of checks ask for it.',
    emailConfirmed: 'Your e-mail address is confirmed:',
    appLinked: 'An authenticator app is linked to your account.',
    continueWithout: 'Not now: continue without them',
    notNow: 'Not now',
    otherEmail: 'Use another address',
    emailTitle: 'Your e-mail address',
    emailHint: 'We will send a code to it to confirm it.',
    emailMissing: 'Type your e-mail address.',
    emailNoAt: 'An e-mail address has an @ between the name and the domain, like name@example.com.',
    emailBadDomain: 'The part after the @ is not a valid domain, like example.com.',
    emailTooLong: 'That e-mail address is too long: at most 254 characters.',
    emailInvalid: 'That is not a valid e-mail address. Check the characters before and after the @.',
    setupIntroOffered: 'An authenticator app on your phone (such as Google Authenticator, Microsoft Authenticator or FreeOTP) lets you use services that ask for the highest level of checks.',
    consentTitle: 'Share your details',
    consentAsks: 'This organisation is not a government body. It asks to know:',
    consentOpenid: 'that you are the account holder (by an identifier of its own, not your ID number)',
    consentProfile: 'your full name in Arabic and English, and your date of birth',
    consentPhone: 'your mobile number',
    consentEmail: 'your e-mail address',
    consentNationalId: 'your national ID number',
    consentOfflineAccess: 'to stay connected to your account after you leave, for a day at most',
    consentNote: 'You may refuse: you then go back to this organisation and it learns nothing about you.',
    consentAllow: 'Allow',
    consentDeny: 'Don’t allow',
  },
} as const;

export type MessageKey = keyof (typeof TEXT)['ar'];

export function text(lang: Lang, key: MessageKey): string {
  return TEXT[lang][key];
}


/** The page's error, first, announced to screen readers; fields point at it with aria-describedby. */
const alertOf = (lang: Lang, error?: MessageKey) => (error ? `<p class="error" role="alert" id="error">${escapeHtml(text(lang, error))}</p>\n` : '');

function page(lang: Lang, title: string, switchHref: string, body: string): string {
  return pageShell({ lang, title, service: text(lang, 'service'), otherLanguage: text(lang, 'otherLanguage'), switchHref, stylesheet: '/auth/static/tamkeen.css', body });
}

export interface Field {
  name: string;
  label: MessageKey;
  hint?: MessageKey;
  type?: 'text' | 'password' | 'date' | 'tel' | 'email';
  autocomplete?: string;
  inputmode?: 'numeric' | 'tel' | 'email';
  /** Left to right whatever the page's direction (addresses, numbers). */
  ltr?: boolean;
  value?: string;
}

/** A way off the page (another channel, "not now"): a plain link, so it works without script. */
export interface Link {
  href: string;
  label: MessageKey;
}

const linksOf = (lang: Lang, links: Link[] = []) => links.map((l) => `\n<p><a href="${escapeHtml(l.href)}">${escapeHtml(text(lang, l.label))}</a></p>`).join('');

/** A page with one form: labelled fields (hints tied by aria-describedby), the error first, one button. */
export function formPage({ lang, title, intro, fields, action, switchHref, csrf, submit, error, links }: { lang: Lang; title: MessageKey; intro?: MessageKey; fields: Field[]; action: string; switchHref: string; csrf: string; submit: MessageKey; error?: MessageKey; links?: Link[] }): string {
  const alert = alertOf(lang, error);
  const inputs = fields
    .map((f, i) => {
      const described = [f.hint ? `${f.name}_hint` : '', error ? 'error' : ''].filter(Boolean).join(' ');
      return `<label for="${f.name}">${escapeHtml(text(lang, f.label))}</label>
${f.hint ? `<p class="hint" id="${f.name}_hint">${escapeHtml(text(lang, f.hint))}</p>\n` : ''}<input id="${f.name}" name="${f.name}" type="${f.type ?? 'text'}"${f.autocomplete ? ` autocomplete="${f.autocomplete}"` : ''}${f.inputmode ? ` inputmode="${f.inputmode}"` : ''}${f.ltr ? ' dir="ltr"' : ''}${described ? ` aria-describedby="${described}"` : ''}${error ? ' aria-invalid="true"' : ''} value="${escapeHtml(f.value ?? '')}" required${i === 0 ? ' autofocus' : ''}>`;
    })
    .join('\n');
  return page(
    lang,
    text(lang, title),
    switchHref,
    `${alert}${intro ? `<p>${escapeHtml(text(lang, intro))}</p>\n` : ''}<form method="post" action="${escapeHtml(action)}" novalidate>
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
${inputs}
<button type="submit">${escapeHtml(text(lang, submit))}</button>
</form>${linksOf(lang, links)}`,
  );
}

export function loginPage({ lang, action, switchHref, csrf, error, nationalId, enrolHref }: { lang: Lang; action: string; switchHref: string; csrf: string; error?: MessageKey; nationalId?: string; enrolHref?: string }): string {
  const alert = alertOf(lang, error);
  return page(
    lang,
    text(lang, 'loginTitle'),
    switchHref,
    `${alert}<form method="post" action="${escapeHtml(action)}" novalidate>
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<label for="national_id">${escapeHtml(text(lang, 'nationalId'))}</label>
<p class="hint" id="national_id_hint">${escapeHtml(text(lang, 'nationalIdHint'))}</p>
<input id="national_id" name="national_id" inputmode="numeric" autocomplete="username" required aria-describedby="national_id_hint${error ? ' error' : ''}" value="${escapeHtml(nationalId ?? '')}"${error ? ' aria-invalid="true"' : ''} autofocus>
<label for="password">${escapeHtml(text(lang, 'password'))}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">${escapeHtml(text(lang, 'submit'))}</button>
</form>${enrolHref ? `\n<p><a href="${escapeHtml(enrolHref)}">${escapeHtml(text(lang, 'enrolLink'))}</a></p>` : ''}`,
  );
}

/** A phone number with all but its last three digits hidden: +970 ••• ••• 456. */
export function maskedPhone(e164: string): string {
  return `${e164.slice(0, 4)} ••• ••• ${e164.slice(-3)}`;
}

/** An e-mail address with its name hidden but the first letter: l•••@example.com. */
export function maskedEmail(address: string): string {
  const at = address.lastIndexOf('@');
  return `${address.slice(0, 1)}•••${address.slice(at)}`;
}

/** The six-digit code field, its label and hint, and the button: one form shared by every code step. */
function codeForm({ lang, action, csrf, label, hint, submit, error }: { lang: Lang; action: string; csrf: string; label: MessageKey; hint: MessageKey; submit: MessageKey; error?: MessageKey }): string {
  return `<form method="post" action="${escapeHtml(action)}" novalidate>
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<label for="code">${escapeHtml(text(lang, label))}</label>
<p class="hint" id="code_hint">${escapeHtml(text(lang, hint))}</p>
<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required aria-describedby="code_hint${error ? ' error' : ''}"${error ? ' aria-invalid="true"' : ''} autofocus>
<button type="submit">${escapeHtml(text(lang, submit))}</button>
</form>`;
}

/** Where a code went: a phone number (SMS) or an e-mail address, shown masked. */
export type SentTo = { phone: string } | { email: string };

/** A one-time code's page: where it went, the code, a new one if `resendAction`, and other ways (`links`). */
export function codePage({ lang, action, resendAction, switchHref, csrf, sentTo, error, links }: { lang: Lang; action: string; resendAction?: string; switchHref: string; csrf: string; sentTo: SentTo; error?: MessageKey; links?: Link[] }): string {
  const [sent, where] = 'phone' in sentTo ? (['codeSent', maskedPhone(sentTo.phone)] as const) : (['emailCodeSent', maskedEmail(sentTo.email)] as const);
  return page(
    lang,
    text(lang, 'codeTitle'),
    switchHref,
    `${alertOf(lang, error)}<p>${escapeHtml(text(lang, sent))} <bdi dir="ltr" class="phone">${escapeHtml(where)}</bdi></p>
${codeForm({ lang, action, csrf, label: 'codeLabel', hint: 'codeHint', submit: 'codeSubmit', error })}${
      resendAction
        ? `
<form method="post" action="${escapeHtml(resendAction)}">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<button type="submit" class="secondary">${escapeHtml(text(lang, 'resend'))}</button>
</form>`
        : ''
    }${linksOf(lang, links)}`,
  );
}

/** The code from the citizen's authenticator app; a way to a code by SMS or e-mail when the service accepts one. */
export function appCodePage({ lang, action, switchHref, csrf, alternative, error }: { lang: Lang; action: string; switchHref: string; csrf: string; alternative?: Link; error?: MessageKey }): string {
  return page(
    lang,
    text(lang, 'appCodeTitle'),
    switchHref,
    `${alertOf(lang, error)}<p>${escapeHtml(text(lang, 'appCodeIntro'))}</p>
${codeForm({ lang, action, csrf, label: 'appCodeLabel', hint: 'appCodeHint', submit: 'codeSubmit', error })}${linksOf(lang, alternative && [alternative])}`,
  );
}

/** The key in groups of four, as authenticator apps show and accept it. */
export function groupedKey(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}

/**
 * Linking an authenticator app: the QR code (inline SVG, so the strict Content-Security-Policy
 * holds and the page needs no script), the key to type in instead, and the first code.
 */
export function authenticatorSetupPage({ lang, action, switchHref, csrf, qrSvg, secret, intro = 'setupIntro', error, links }: { lang: Lang; action: string; switchHref: string; csrf: string; qrSvg: string; secret: string; intro?: MessageKey; error?: MessageKey; links?: Link[] }): string {
  return page(
    lang,
    text(lang, 'setupTitle'),
    switchHref,
    `${alertOf(lang, error)}<p>${escapeHtml(text(lang, intro))}</p>
<p>${escapeHtml(text(lang, 'setupScan'))}</p>
<figure class="qr" role="img" aria-label="${escapeHtml(text(lang, 'setupQrLabel'))}">${qrSvg}</figure>
<p>${escapeHtml(text(lang, 'setupKey'))}</p>
<p><code dir="ltr" class="key" id="authenticator_key">${escapeHtml(groupedKey(secret))}</code></p>
${codeForm({ lang, action, csrf, label: 'setupCodeLabel', hint: 'setupCodeHint', submit: 'setupSubmit', error })}${linksOf(lang, links)}`,
  );
}

/**
 * The end of an enrolment: what else the citizen may add (an e-mail address, an authenticator
 * app), each a link to its own steps until it is done, and one button that finishes, with or
 * without them.
 */
export function enrolmentExtrasPage({ lang, action, switchHref, csrf, emailHref, confirmedEmail, appHref, appLinked }: { lang: Lang; action: string; switchHref: string; csrf: string; emailHref: string; confirmedEmail?: string; appHref: string; appLinked: boolean }): string {
  const choice = (href: string, label: MessageKey, hint: MessageKey) =>
    `<li><a href="${escapeHtml(href)}" aria-describedby="${hint}">${escapeHtml(text(lang, label))}</a><p class="hint" id="${hint}">${escapeHtml(text(lang, hint))}</p></li>`;
  const email = confirmedEmail ? `<li>${escapeHtml(text(lang, 'emailConfirmed'))} <bdi dir="ltr">${escapeHtml(maskedEmail(confirmedEmail))}</bdi></li>` : choice(emailHref, 'extrasEmail', 'extrasEmailHint');
  const app = appLinked ? `<li>${escapeHtml(text(lang, 'appLinked'))}</li>` : choice(appHref, 'extrasApp', 'extrasAppHint');
  const added = Boolean(confirmedEmail) || appLinked;
  return page(
    lang,
    text(lang, 'extrasTitle'),
    switchHref,
    `<p>${escapeHtml(text(lang, 'extrasIntro'))}</p>
<ul class="choices">
${email}
${app}
</ul>
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<button type="submit"${added ? '' : ' class="secondary"'}>${escapeHtml(text(lang, added ? 'continue' : 'continueWithout'))}</button>
</form>`,
  );
}

/**
 * What a business's relying party asks to know, in the citizen's words, with Allow and Don't allow
 * (two buttons of one form: no script). `asks` are message keys, one per kind of detail.
 */
export function consentPage({ lang, action, switchHref, csrf, organisation, service, asks }: { lang: Lang; action: string; switchHref: string; csrf: string; organisation: string; service: string; asks: MessageKey[] }): string {
  return page(
    lang,
    text(lang, 'consentTitle'),
    switchHref,
    `<p><strong><bdi>${escapeHtml(organisation)}</bdi></strong><br><bdi>${escapeHtml(service)}</bdi></p>
<p id="asks">${escapeHtml(text(lang, 'consentAsks'))}</p>
<ul aria-labelledby="asks">
${asks.map((key) => `<li>${escapeHtml(text(lang, key))}</li>`).join('\n')}
</ul>
<p class="hint">${escapeHtml(text(lang, 'consentNote'))}</p>
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<button type="submit" name="decision" value="allow">${escapeHtml(text(lang, 'consentAllow'))}</button>
<button type="submit" name="decision" value="deny" class="secondary">${escapeHtml(text(lang, 'consentDeny'))}</button>
</form>`,
  );
}

export function errorPage({ lang, switchHref, message }: { lang: Lang; switchHref: string; message: MessageKey }): string {
  return page(lang, text(lang, 'errorTitle'), switchHref, `<p class="error" role="alert">${escapeHtml(text(lang, message))}</p>`);
}

/** The one stylesheet (served from the pages' own origin: the Content-Security-Policy allows nothing else). */
export const STYLESHEET = `*{box-sizing:border-box}
body{margin:0;font:1.125rem/1.5 system-ui,"Noto Naskh Arabic","Segoe UI",Tahoma,sans-serif;color:#0b0c0c;background:#fff}
header{display:flex;justify-content:space-between;align-items:center;padding:.75rem 1rem;background:#0b3d2e;color:#fff}
header a{color:#fff}
.service{margin:0;font-weight:700}
main{max-width:32rem;margin:0 auto;padding:1rem}
h1{font-size:1.75rem}
label{display:block;font-weight:700;margin-top:1rem}
.hint{margin:.25rem 0;color:#505a5f}
input{display:block;width:100%;padding:.5rem;font:inherit;border:2px solid #0b0c0c;border-radius:0}
input:focus,button:focus,a:focus{outline:3px solid #fd0;outline-offset:0;box-shadow:inset 0 0 0 2px #0b0c0c}
button{margin-top:1.5rem;padding:.6rem 1.2rem;font:inherit;font-weight:700;color:#fff;background:#00703c;border:0;box-shadow:0 2px 0 #002d18;cursor:pointer}
.phone{white-space:nowrap}
.secondary{color:#0b0c0c;background:#f3f2f1;box-shadow:0 2px 0 #929191}
.error{padding:.75rem;border-inline-start:5px solid #d4351c;color:#d4351c;font-weight:700}
.qr{margin:1rem 0;max-width:14rem}
.qr svg{display:block;width:100%;height:auto}
.choices{padding:0;list-style:none}
.choices li{margin:1rem 0;padding:.75rem;border:1px solid #b1b4b6}
.choices a{font-weight:700}
.key{display:inline-block;padding:.25rem .5rem;font-size:1.25rem;letter-spacing:.05em;background:#f3f2f1;word-break:break-all}`;
