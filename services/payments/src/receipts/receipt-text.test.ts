import { describe, expect, it } from '@jest/globals';
import { smsSegments } from '@tamkeen/sms-text';
import { receiptText, type ReceiptFacts } from './receipt-text.js';

const payment = (overrides: Partial<ReceiptFacts> = {}): ReceiptFacts => ({
  id: '3f2a9c4e-8d1b-4c6a-9e2f-1a2b3c4d5e6f',
  organisationId: 'moi',
  amount: 15_000,
  currency: 'ILS',
  reference: 'PASSPORT-2026-0001',
  description: 'Passport renewal fee',
  // 14:07 in Palestine (UTC+2 in March).
  paidAt: new Date('2026-03-05T12:07:00Z'),
  language: 'ar',
  ...overrides,
});

describe('a receipt’s words', () => {
  it('in Arabic: the amount in Arabic words and digits, the ministry, the reference and the date in Palestine’s time', () => {
    const text = receiptText(payment());
    expect(text.sms).toBe('إيصال تمكين: دُفع ١٥٠٫٠٠ شيكل إسرائيلي جديد إلى moi، المرجع PASSPORT-2026-0001، ٥ مارس ٢٠٢٦، ١٤:٠٧.');
    expect(text.email.subject).toBe('إيصال دفع: moi، PASSPORT-2026-0001');
    expect(text.email.body).toContain('الخدمة: Passport renewal fee');
    expect(text.email.body).toContain('رقم الدفعة: 3f2a9c4e-8d1b-4c6a-9e2f-1a2b3c4d5e6f');
    expect(text.email.body).toContain('المبلغ: ١٥٠٫٠٠ شيكل إسرائيلي جديد');
    expect(text.email.body).toContain('التاريخ: ٥ مارس ٢٠٢٦، ١٤:٠٧ (بتوقيت فلسطين)');
    expect(text.email.body).not.toContain('Payment ID'); // no English part
  });

  it('in English: one GSM-7 part for the SMS, everything in the e-mail', () => {
    const text = receiptText(payment({ language: 'en' }));
    expect(text.sms).toBe('Tamkeen receipt: paid ILS 150.00 to moi, ref PASSPORT-2026-0001, 5 Mar 2026, 14:07.');
    expect(smsSegments(text.sms)).toMatchObject({ encoding: 'GSM-7', parts: 1 });
    expect(text.email.subject).toBe('Payment receipt: moi, PASSPORT-2026-0001');
    expect(text.email.body).toBe(
      [
        'We received your payment. This is your receipt.',
        '',
        'Paid to: moi',
        'For: Passport renewal fee',
        'Amount: ILS\u00a0150.00',
        'Reference: PASSPORT-2026-0001',
        'Payment ID: 3f2a9c4e-8d1b-4c6a-9e2f-1a2b3c4d5e6f',
        'Date: 5 Mar 2026, 14:07 (Palestine time)',
        '',
        'Keep this receipt. No government office will ever ask for your card details by message or e-mail.',
      ].join('\n'),
    );
  });

  it('in both, Arabic first, while the payment does not say the citizen’s language; the SMS stays within three parts', () => {
    const text = receiptText(payment({ language: 'ar+en' }));
    const [ar, en] = text.sms.split('\n');
    expect(ar).toBe(receiptText(payment()).sms);
    expect(en).toBe(receiptText(payment({ language: 'en' })).sms);
    expect(smsSegments(text.sms).parts).toBeLessThanOrEqual(3);
    expect(smsSegments(receiptText(payment()).sms).parts).toBeLessThanOrEqual(2);
    expect(text.email.body.indexOf('استلمنا')).toBe(0);
    expect(text.email.body).toContain('Payment ID: 3f2a9c4e-8d1b-4c6a-9e2f-1a2b3c4d5e6f');
    expect(text.email.subject).toBe('إيصال دفع: moi، PASSPORT-2026-0001 | Payment receipt: moi, PASSPORT-2026-0001');
  });

  it('name the ministry when its name is known, and write each currency with its own decimals', () => {
    const text = receiptText(payment({ language: 'ar+en', currency: 'JOD', amount: 2_500 }), { ar: 'وزارة الداخلية', en: 'Ministry of Interior' });
    expect(text.sms).toContain('دُفع ٢٫٥٠٠ دينار أردني إلى وزارة الداخلية');
    expect(text.sms).toContain('paid JOD 2.500 to Ministry of Interior');
    expect(text.email.body).toContain('Paid to: Ministry of Interior');
    expect(text.email.body).not.toContain('moi');
  });
});
