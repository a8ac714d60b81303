/**
 * Template personalisation as GOV.UK Notify does it: `((first name))` in a template is replaced by
 * the value the sender gave for `first name`. Names match whatever their case and spacing; values
 * are text or numbers, inserted once (a value that itself contains `((...))` is not expanded).
 */
export type Personalisation = Record<string, unknown>;

const PLACEHOLDER = /\(\(([^()]+?)\)\)/g;

function keyOf(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** The placeholders a text uses, each once, as first written. */
export function placeholdersOf(text: string): string[] {
  const seen = new Map<string, string>();
  for (const match of text.matchAll(PLACEHOLDER)) {
    const name = (match[1] ?? '').trim();
    if (!seen.has(keyOf(name))) seen.set(keyOf(name), name);
  }
  return [...seen.values()];
}

/**
 * Fills every placeholder of `texts` (a body, a subject) from `personalisation`, or names what is
 * missing (no value) and what is invalid (a value that is not text or a number).
 */
export function personalise<T extends Record<string, string>>(texts: T, personalisation: Personalisation): { ok: true; texts: T } | { ok: false; missing: string[]; invalid: string[] } {
  const values = new Map<string, string>();
  const invalid = new Set<string>();
  for (const [name, value] of Object.entries(personalisation)) {
    if (typeof value === 'string') values.set(keyOf(name), value);
    else if (typeof value === 'number' && Number.isFinite(value)) values.set(keyOf(name), String(value));
    else invalid.add(keyOf(name));
  }
  const missing: string[] = [];
  const invalidUsed: string[] = [];
  for (const text of Object.values(texts)) {
    for (const name of placeholdersOf(text)) {
      const key = keyOf(name);
      if (invalid.has(key)) {
        if (!invalidUsed.includes(name)) invalidUsed.push(name);
      } else if (!values.has(key) && !missing.includes(name)) {
        missing.push(name);
      }
    }
  }
  if (missing.length || invalidUsed.length) return { ok: false, missing, invalid: invalidUsed };
  const filled = Object.fromEntries(
    Object.entries(texts).map(([field, text]) => [field, text.replace(PLACEHOLDER, (_m, name: string) => values.get(keyOf(name)) ?? '')]),
  ) as T;
  return { ok: true, texts: filled };
}
