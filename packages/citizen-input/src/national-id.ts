/**
 * Palestinian national ID numbers: nine digits, the last a check digit computed as Luhn's, with
 * the second, fourth, sixth and eighth digits doubled (the database enforces the same rule).
 * Citizens type them with Western or Arabic-Indic digits, sometimes with spaces or dashes.
 */

import { westernDigits } from './digits.js';

/** The check digit that completes eight digits into a valid national ID number. */
export function checkDigitOf(firstEight: string): string {
  let total = 0;
  for (let i = 0; i < 8; i++) {
    let digit = Number(firstEight[i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    total += digit;
  }
  return String((10 - (total % 10)) % 10);
}

export type ParsedNationalId = { ok: true; nationalId: string } | { ok: false; reason: string };

export function parseNationalId(input: unknown): ParsedNationalId {
  if (typeof input !== 'string' && typeof input !== 'number') return { ok: false, reason: 'is required: the nine digits of the ID card' };
  const digits = westernDigits(String(input)).replace(/[\s-]/g, '');
  if (!/^[0-9]{9}$/.test(digits)) return { ok: false, reason: 'must be nine digits' };
  if (checkDigitOf(digits.slice(0, 8)) !== digits[8]) return { ok: false, reason: 'is not a valid ID number (its check digit is wrong)' };
  return { ok: true, nationalId: digits };
}
