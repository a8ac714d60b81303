import { invalidRequest, missingParam } from './errors.js';

/** A request's parameters as Stripe reads them: strings, nested objects (`a[b]`) and lists (`a[]`, `a[0]`). */
export type ParamValue = string | ParamValue[] | { [key: string]: ParamValue };
export type Params = { [key: string]: ParamValue };

const KEY = /^([^[\]]+)((?:\[[^[\]]*\])*)$/;

/**
 * Decodes Stripe's form encoding from the flat pairs a form or query parser gives
 * (`card[number]`, `metadata[order]`, `expand[]`, `expand[0]`, `created[gte]`).
 * Objects whose keys are all indices become lists, as Stripe treats them.
 */
export function decodeParams(flat: unknown): Params {
  const root: Params = {};
  if (!flat || typeof flat !== 'object') return root;
  for (const [rawKey, rawValue] of Object.entries(flat as Record<string, unknown>)) {
    const values = Array.isArray(rawValue) ? rawValue : [rawValue];
    const match = KEY.exec(rawKey);
    if (!match) throw invalidRequest(`Invalid parameter name: ${truncate(rawKey)}.`, { param: truncate(rawKey) });
    const path = [match[1] as string, ...[...(match[2] ?? '').matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1] as string)];
    // A name repeated without brackets (`expand=a&expand=b`) is a list too.
    if (values.length > 1 && path.length === 1) path.push('');
    for (const value of values) {
      if (typeof value !== 'string') continue;
      assign(root, path, value, rawKey);
    }
  }
  return listify(root) as Params;
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

function assign(node: Params, path: string[], value: string, rawKey: string): void {
  const [head, ...rest] = path as [string, ...string[]];
  if (rest.length === 0) {
    if (head === '') {
      // `expand[]=a&expand[]=b`: an append.
      const next = String(Object.keys(node).length);
      node[next] = value;
    } else {
      node[head] = value;
    }
    return;
  }
  const key = head === '' ? String(Object.keys(node).length) : head;
  const child = node[key];
  if (child === undefined || typeof child === 'string') {
    // `metadata=` then `metadata[a]=b`: the nested form wins.
    const created: Params = {};
    node[key] = created;
    assign(created, rest, value, rawKey);
  } else if (Array.isArray(child)) {
    throw invalidRequest(`Invalid parameter name: ${truncate(rawKey)}.`, { param: truncate(rawKey) });
  } else {
    assign(child, rest, value, rawKey);
  }
}

function listify(value: ParamValue): ParamValue {
  if (typeof value === 'string' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  const entries = keys.map((k) => [k, listify(value[k] as ParamValue)] as const);
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    return entries.sort(([a], [b]) => Number(a) - Number(b)).map(([, v]) => v);
  }
  return Object.fromEntries(entries);
}

/** A stable text of the parameters, to compare two requests (idempotency). */
export function canonical(value: ParamValue | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  return `{${Object.keys(value)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
    .join(',')}}`;
}

/** Refuses any parameter the endpoint does not know, as Stripe does (`parameter_unknown`). */
export function onlyKnown(params: Params, known: readonly string[], prefix = ''): void {
  for (const key of Object.keys(params)) {
    if (!known.includes(key)) {
      const name = prefix ? `${prefix}[${key}]` : key;
      throw invalidRequest(`Received unknown parameter: ${truncate(name)}`, { param: truncate(name), code: 'parameter_unknown' });
    }
  }
}

export function stringParam(params: Params, name: string, param = name): string | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidRequest(`Invalid string: ${param}`, { param });
  return value;
}

export function requiredString(params: Params, name: string, param = name): string {
  const value = stringParam(params, name, param);
  if (value === undefined || value === '') throw missingParam(param);
  return value;
}

export function integerParam(params: Params, name: string, param = name): number | undefined {
  const value = stringParam(params, name, param);
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw invalidRequest(`Invalid integer: ${truncate(value)}`, { param, code: 'parameter_invalid_integer' });
  }
  return Number(value);
}

export function booleanParam(params: Params, name: string): boolean | undefined {
  const value = stringParam(params, name);
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') throw invalidRequest(`Invalid boolean: ${truncate(value)}`, { param: name });
  return value === 'true';
}

export function objectParam(params: Params, name: string): Params | undefined {
  const value = params[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string' || Array.isArray(value)) throw invalidRequest(`Invalid object`, { param: name });
  return value;
}

export function listParam(params: Params, name: string): string[] | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw invalidRequest(`Invalid array`, { param: name });
  return value as string[];
}

export type Metadata = Record<string, string>;

/**
 * Stripe's metadata rules: up to 50 keys, keys up to 40 characters, values up to 500; on update an
 * empty value removes a key and `metadata=` (empty) removes them all.
 */
export function applyMetadata(current: Metadata, params: Params): Metadata {
  const value = params.metadata;
  if (value === undefined) return current;
  if (value === '') return {};
  if (typeof value === 'string' || Array.isArray(value)) throw invalidRequest('Invalid object', { param: 'metadata' });
  const next: Metadata = { ...current };
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') throw invalidRequest(`Invalid metadata value for ${truncate(key)}: must be a string.`, { param: `metadata[${truncate(key)}]` });
    if (key.length > 40) throw invalidRequest(`Metadata keys can have up to 40 characters.`, { param: `metadata[${truncate(key)}]` });
    if (item.length > 500) throw invalidRequest(`Metadata values can have up to 500 characters, but you passed in a value that is ${item.length} characters.`, { param: `metadata[${key}]` });
    if (item === '') delete next[key];
    else next[key] = item;
  }
  if (Object.keys(next).length > 50) throw invalidRequest('You can specify up to 50 keys in metadata.', { param: 'metadata' });
  return next;
}

/** `created=…` or `created[gt|gte|lt|lte]=…`, in seconds. */
export interface Range {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

export function rangeParam(params: Params, name: string): Range | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (typeof value === 'string') {
    const exact = integerParam(params, name);
    return exact === undefined ? undefined : { gte: exact, lte: exact };
  }
  if (Array.isArray(value)) throw invalidRequest('Invalid object', { param: name });
  onlyKnown(value, ['gt', 'gte', 'lt', 'lte'], name);
  const range: Range = {};
  for (const bound of ['gt', 'gte', 'lt', 'lte'] as const) {
    const n = integerParam(value, bound, `${name}[${bound}]`);
    if (n !== undefined) range[bound] = n;
  }
  return range;
}

export function inRange(value: number, range: Range | undefined): boolean {
  if (!range) return true;
  return (
    (range.gt === undefined || value > range.gt) &&
    (range.gte === undefined || value >= range.gte) &&
    (range.lt === undefined || value < range.lt) &&
    (range.lte === undefined || value <= range.lte)
  );
}
