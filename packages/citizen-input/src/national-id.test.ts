import { describe, expect, it } from '@jest/globals';
import { checkDigitOf, parseNationalId } from './national-id.js';

describe('national ID numbers', () => {
  it('accepts nine digits whose last is the check digit, typed in any of the ways citizens type them', () => {
    const id = `40000001${checkDigitOf('40000001')}`;
    expect(parseNationalId(id)).toEqual({ ok: true, nationalId: id });
    const arabic = id.replace(/[0-9]/g, (d) => String.fromCodePoint(0x0660 + Number(d)));
    expect(parseNationalId(arabic)).toEqual({ ok: true, nationalId: id });
    const persian = id.replace(/[0-9]/g, (d) => String.fromCodePoint(0x06f0 + Number(d)));
    expect(parseNationalId(persian)).toEqual({ ok: true, nationalId: id });
    expect(parseNationalId(`${id.slice(0, 3)} ${id.slice(3, 6)}-${id.slice(6)}`)).toEqual({ ok: true, nationalId: id });
  });

  it('computes the check digit as the register does (known valid numbers)', () => {
    // Luhn with the even positions doubled: 123456782 and 000000018 are valid.
    expect(checkDigitOf('12345678')).toBe('2');
    expect(checkDigitOf('00000001')).toBe('8');
  });

  it('refuses a wrong check digit, a wrong length and letters, saying which', () => {
    expect(parseNationalId('123456789')).toEqual({ ok: false, reason: expect.stringMatching(/check digit/) });
    expect(parseNationalId('12345678')).toEqual({ ok: false, reason: 'must be nine digits' });
    expect(parseNationalId('12345678a')).toEqual({ ok: false, reason: 'must be nine digits' });
    expect(parseNationalId(undefined)).toEqual({ ok: false, reason: expect.stringMatching(/required/) });
  });
});
