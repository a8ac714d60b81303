/**
 * Names typed by citizens are compared the way a clerk would: diacritics (tashkeel) and tatweel
 * ignored, the forms of alef (أ إ آ ٱ) as ا, ى as ي, ة as ه, ؤ as و, ئ as ي; spaces collapsed; Latin
 * letters without case. "عبد الله" and "عبدالله" stay different on purpose: both are written.
 */
export function comparableName(name: string): string {
  return name
    .normalize('NFC')
    .replace(/[\u064b-\u065f\u0670\u0640]/g, '')
    .replace(/[أإآٱ]/g, 'ا')
    .replace(/ى/g, 'ي')
    .replace(/ة/g, 'ه')
    .replace(/ؤ/g, 'و')
    .replace(/ئ/g, 'ي')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}
