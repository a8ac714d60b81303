import { formatMoney, type Currency } from '../domain/money.js';

/** A receipt's language: the citizen's, or both (Arabic first) while the payment does not say. */
export type ReceiptLanguage = 'ar' | 'en' | 'ar+en';

/** What a receipt says about its payment: never card data (payments never holds any). */
export interface ReceiptFacts {
  id: string;
  organisationId: string;
  amount: number;
  currency: Currency;
  reference: string;
  description: string;
  /** When it succeeded (the receipt's row is written in that transaction). */
  paidAt: Date;
  language: ReceiptLanguage;
}

export interface MinistryName {
  ar: string;
  en: string;
}

export interface ReceiptText {
  sms: string;
  email: { subject: string; body: string };
}

// Dates as the platform's citizens at home read them, abroad included: Palestine's time.
const TIME_ZONE = 'Asia/Hebron';

function dateOf(at: Date, lang: 'ar' | 'en'): string {
  return new Intl.DateTimeFormat(lang === 'ar' ? 'ar-EG' : 'en-GB', { timeZone: TIME_ZONE, day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(at);
}

// Intl writes "ILS 150.00" with a no-break space, which GSM-7 lacks: it alone would make an English SMS UCS-2 (70 characters a part, not 160).
const gsmSpaces = (text: string) => text.replace(/[\u00a0\u202f]/g, ' ');

function wordsOf(payment: ReceiptFacts, ministryName: MinistryName | undefined, lang: 'ar' | 'en') {
  return {
    // The organisation's id until ministries' names are known to payments.
    ministry: ministryName?.[lang] ?? payment.organisationId,
    amount: formatMoney(payment, lang),
    date: dateOf(payment.paidAt, lang),
  };
}

/**
 * The words of a payment's receipt, for each channel, in the receipt's language (both, Arabic
 * first, when it is `ar+en`). The SMS is the shortest that still identifies the payment (amount,
 * ministry, the ministry's reference, date): Arabic makes it UCS-2, 70 characters a part, so the
 * ministry's description and the payment id are left to the e-mail, which has everything.
 */
export function receiptText(payment: ReceiptFacts, ministryName?: MinistryName): ReceiptText {
  const ar = wordsOf(payment, ministryName, 'ar');
  const en = wordsOf(payment, ministryName, 'en');
  const sms = {
    ar: gsmSpaces(`إيصال تمكين: دُفع ${ar.amount} إلى ${ar.ministry}، المرجع ${payment.reference}، ${ar.date}.`),
    en: gsmSpaces(`Tamkeen receipt: paid ${en.amount} to ${en.ministry}, ref ${payment.reference}, ${en.date}.`),
  };
  const subject = {
    ar: `إيصال دفع: ${ar.ministry}، ${payment.reference}`,
    en: `Payment receipt: ${en.ministry}, ${payment.reference}`,
  };
  const body = {
    ar: [
      'استلمنا دفعتك، وهذا إيصالها.',
      [`الجهة: ${ar.ministry}`, `الخدمة: ${payment.description}`, `المبلغ: ${ar.amount}`, `المرجع: ${payment.reference}`, `رقم الدفعة: ${payment.id}`, `التاريخ: ${ar.date} (بتوقيت فلسطين)`].join('\n'),
      'احتفظ بهذا الإيصال. لن تطلب منك أي جهة حكومية بيانات بطاقتك في رسالة أو بريد.',
    ].join('\n\n'),
    en: [
      'We received your payment. This is your receipt.',
      [`Paid to: ${en.ministry}`, `For: ${payment.description}`, `Amount: ${en.amount}`, `Reference: ${payment.reference}`, `Payment ID: ${payment.id}`, `Date: ${en.date} (Palestine time)`].join('\n'),
      'Keep this receipt. No government office will ever ask for your card details by message or e-mail.',
    ].join('\n\n'),
  };
  if (payment.language === 'ar+en') {
    return { sms: `${sms.ar}\n${sms.en}`, email: { subject: `${subject.ar} | ${subject.en}`, body: `${body.ar}\n\n---\n\n${body.en}` } };
  }
  const lang = payment.language;
  return { sms: sms[lang], email: { subject: subject[lang], body: body[lang] } };
}
