/**
 * How an SMS body travels: GSM-7 when every character is in the GSM 03.38 alphabet (extension
 * characters take two septets), otherwise UCS-2 — any Arabic letter makes it UCS-2. A single
 * message holds 160 septets or 70 UTF-16 units; a concatenated one loses room to its header:
 * 153 septets or 67 units per part. A character is never split across parts (an escaped GSM
 * character or a surrogate pair moves whole to the next part), so parts are counted by filling
 * them, not by dividing.
 */
export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsSegments {
  encoding: SmsEncoding;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) the body takes. */
  units: number;
  parts: number;
  /** Room left in the last part before another part is needed. */
  remainingInPart: number;
}

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENSION = '\f^{}\\[~]|€';

const basic = new Set(GSM_BASIC.replace('\u001b', ''));
const extension = new Set(GSM_EXTENSION);

const LIMITS: Record<SmsEncoding, { single: number; perPart: number }> = {
  'GSM-7': { single: 160, perPart: 153 },
  'UCS-2': { single: 70, perPart: 67 },
};

/** The size of each character in its encoding's units, or undefined if GSM-7 cannot carry it. */
function gsmSizes(body: string): number[] | undefined {
  const sizes: number[] = [];
  for (const char of body) {
    if (basic.has(char)) sizes.push(1);
    else if (extension.has(char)) sizes.push(2);
    else return undefined;
  }
  return sizes;
}

function ucs2Sizes(body: string): number[] {
  return Array.from(body, (char) => char.length);
}

export function smsSegments(body: string): SmsSegments {
  const gsm = gsmSizes(body);
  const encoding: SmsEncoding = gsm ? 'GSM-7' : 'UCS-2';
  const sizes = gsm ?? ucs2Sizes(body);
  const units = sizes.reduce((sum, size) => sum + size, 0);
  const { single, perPart } = LIMITS[encoding];
  if (units <= single) return { encoding, units, parts: units === 0 ? 0 : 1, remainingInPart: single - units };
  let parts = 1;
  let used = 0;
  for (const size of sizes) {
    if (used + size > perPart) {
      parts++;
      used = 0;
    }
    used += size;
  }
  return { encoding, units, parts, remainingInPart: perPart - used };
}
