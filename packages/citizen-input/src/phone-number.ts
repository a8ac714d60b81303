import { westernDigits } from './digits.js';
import { parsePhoneNumberWithError, ParseError, validatePhoneNumberLength, type NumberType } from 'libphonenumber-js/max';

/**
 * Turns what a ministry sent as a citizen's mobile number into E.164. Local numbers are read as
 * Palestinian (`0599 123 456` → `+970599123456`); citizens abroad are given with their country
 * code (`+962…`, `00962…`). Arabic-Indic and Eastern Arabic-Indic digits are accepted.
 */
export type PhoneNumberResult = { ok: true; e164: string; country: string | undefined } | { ok: false; reason: string };

const HOME_COUNTRY = 'PS';

// Numbers that cannot receive an SMS. Types libphonenumber cannot tell apart (FIXED_LINE_OR_MOBILE,
// or none where a country's metadata has no types) are given the benefit of the doubt.
const NOT_FOR_SMS = new Set<NumberType>(['FIXED_LINE', 'TOLL_FREE', 'PREMIUM_RATE', 'SHARED_COST', 'VOIP', 'UAN', 'VOICEMAIL', 'PAGER']);

const REASONS: Record<string, string> = {
  INVALID_COUNTRY: 'has no valid country code; give numbers outside Palestine with + and their country code',
  NOT_A_NUMBER: 'is not a phone number',
  TOO_SHORT: 'is too short to be a phone number',
  TOO_LONG: 'is too long to be a phone number',
  INVALID_LENGTH: 'has the wrong number of digits',
};

export function mobileNumber(input: string): PhoneNumberResult {
  const text = westernDigits(input.trim());
  if (!text) return { ok: false, reason: 'is empty' };
  try {
    const parsed = parsePhoneNumberWithError(text, { defaultCountry: HOME_COUNTRY });
    if (!parsed.isValid()) {
      const length = validatePhoneNumberLength(text, HOME_COUNTRY);
      return { ok: false, reason: (length && REASONS[length]) ?? 'is not a valid number in its country' };
    }
    const type = parsed.getType();
    if (type !== undefined && NOT_FOR_SMS.has(type)) {
      return { ok: false, reason: `is a ${type.toLowerCase().replace(/_/g, ' ')} number, which cannot receive text messages` };
    }
    return { ok: true, e164: parsed.number, country: parsed.country };
  } catch (error) {
    if (error instanceof ParseError) return { ok: false, reason: REASONS[error.message] ?? 'is not a phone number' };
    throw error;
  }
}
