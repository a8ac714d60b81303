import { describe, expect, it } from '@jest/globals';
import { stripeForm } from './stripe-form.js';

const pairs = (form: string) => [...new URLSearchParams(form)];

describe("Stripe's form encoding (the PSP client's bodySerializer)", () => {
  it('writes scalars as text and nests objects and lists in brackets', () => {
    const form = stripeForm({
      amount: 12_500,
      currency: 'ils',
      confirm: false,
      metadata: { payment_id: 'pay_01', reference: 'a&b=c [x]' },
      payment_method_types: ['card'],
      card: { exp_month: 12, nested: { deep: 'yes' } },
      expand: ['latest_charge', 'latest_charge.balance_transaction'],
    });
    expect(pairs(form)).toEqual([
      ['amount', '12500'],
      ['currency', 'ils'],
      ['confirm', 'false'],
      ['metadata[payment_id]', 'pay_01'],
      ['metadata[reference]', 'a&b=c [x]'],
      ['payment_method_types[0]', 'card'],
      ['card[exp_month]', '12'],
      ['card[nested][deep]', 'yes'],
      ['expand[0]', 'latest_charge'],
      ['expand[1]', 'latest_charge.balance_transaction'],
    ]);
    // Brackets, spaces and reserved characters are percent-encoded as a form is.
    expect(form).toContain('metadata%5Bpayment_id%5D=pay_01');
    expect(form).toContain('metadata%5Breference%5D=a%26b%3Dc+%5Bx%5D');
  });

  it('leaves undefined out and sends null or an empty object as an empty value (Stripe clears the field)', () => {
    expect(pairs(stripeForm({ description: undefined, receipt_email: null, metadata: {}, other: { gone: undefined } }))).toEqual([
      ['receipt_email', ''],
      ['metadata', ''],
      ['other', ''],
    ]);
  });

  it('encodes Arabic text as UTF-8 and dates as Unix seconds', () => {
    const form = stripeForm({ description: 'تجديد جواز السفر', created: { gte: new Date('2026-01-01T00:00:00Z') } });
    expect(pairs(form)).toEqual([
      ['description', 'تجديد جواز السفر'],
      ['created[gte]', '1767225600'],
    ]);
    expect(form.startsWith('description=%D8%AA%D8%AC')).toBe(true);
  });

  it('gives an empty body for no parameters, and refuses what is not an object', () => {
    expect(stripeForm({})).toBe('');
    expect(stripeForm(undefined)).toBe('');
    expect(() => stripeForm('amount=1')).toThrow(TypeError);
    expect(() => stripeForm([1, 2])).toThrow(TypeError);
    expect(() => stripeForm({ f: () => 1 })).toThrow(/f: a function cannot be form-encoded/);
  });
});
