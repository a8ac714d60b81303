/**
 * Stripe's request encoding, as openapi-fetch's `bodySerializer`: `application/x-www-form-urlencoded`
 * with nested objects and lists in brackets (`metadata[payment_id]=…`, `card[exp_month]=12`,
 * `expand[0]=latest_charge`). Booleans and numbers are written as text; `undefined` is left out;
 * `null` and an empty object are sent as an empty value (Stripe's way to clear a field, e.g. all
 * of `metadata`). Keys keep the order they were given in.
 */
export function stripeForm(body: unknown): string {
  const pairs: Array<[string, string]> = [];
  if (body !== null && body !== undefined) {
    if (typeof body !== 'object' || Array.isArray(body)) throw new TypeError('a Stripe request body must be an object');
    for (const [key, value] of Object.entries(body)) encode(key, value, pairs);
  }
  return new URLSearchParams(pairs).toString();
}

function encode(name: string, value: unknown, pairs: Array<[string, string]>): void {
  if (value === undefined) return;
  if (value === null) {
    pairs.push([name, '']);
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => encode(`${name}[${index}]`, item, pairs));
  } else if (value instanceof Date) {
    pairs.push([name, String(Math.floor(value.getTime() / 1000))]);
  } else if (typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) pairs.push([name, '']);
    for (const [key, item] of entries) encode(`${name}[${key}]`, item, pairs);
  } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    pairs.push([name, String(value)]);
  } else {
    throw new TypeError(`${name}: a ${typeof value} cannot be form-encoded`);
  }
}
