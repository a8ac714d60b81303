/** Arabic-Indic (٠-٩) and Eastern Arabic-Indic (۰-۹) digits as 0-9; everything else untouched. */
export function westernDigits(text: string): string {
  return text.replace(/[\u0660-\u0669\u06f0-\u06f9]/g, (digit) => String((digit.charCodeAt(0) & 0xf) % 10));
}
