import { describe, expect, it } from '@jest/globals';
import { westernDigits } from './digits.js';
import { mobileNumber } from './phone-number.js';

describe('mobileNumber', () => {
  it.each([
    ['0599123456', '+970599123456'],
    ['059 912 3456', '+970599123456'],
    ['0569-123-456', '+970569123456'],
    ['+970 599 123 456', '+970599123456'],
    ['00970599123456', '+970599123456'],
    ['٠٥٩٩١٢٣٤٥٦', '+970599123456'],
    ['۰۵۹۹۱۲۳۴۵۶', '+970599123456'],
  ])('reads the Palestinian mobile %s as %s', (input, e164) => {
    expect(mobileNumber(input)).toEqual({ ok: true, e164, country: 'PS' });
  });

  it.each([
    ['+962 79 123 4567', '+962791234567', 'JO'],
    ['00962791234567', '+962791234567', 'JO'],
    ['+1 415 555 2671', '+14155552671', 'US'],
    ['+49 1512 3456789', '+4915123456789', 'DE'],
    ['+971 50 123 4567', '+971501234567', 'AE'],
  ])('reads the number abroad %s as %s', (input, e164, country) => {
    expect(mobileNumber(input)).toEqual({ ok: true, e164, country });
  });

  it.each([
    ['', /is empty/],
    ['hello', /is not a phone number/],
    ['12', /too short|not a phone number/],
    ['0599', /not a valid number|too short/],
    ['02 298 1234', /fixed line number, which cannot receive text messages/],
    ['+999 123 456 789', /country code/],
  ])('refuses %j, saying why', (input, reason) => {
    const result = mobileNumber(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});

describe('westernDigits', () => {
  it('turns both Arabic-Indic digit sets into ASCII and leaves the rest', () => {
    expect(westernDigits('٠١٢٣٤٥٦٧٨٩ ۰۱۲۳۴۵۶۷۸۹ +970')).toBe('0123456789 0123456789 +970');
  });
});
