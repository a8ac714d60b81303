import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { z } from 'zod';
import { validate } from './validation.js';

const idempotencyKeyHeader = z.object({ 'Idempotency-Key': z.string().regex(/^[\x21-\x7e]{1,255}$/, { message: 'must be 1 to 255 printable characters' }) });
const optionalKeyHeader = idempotencyKeyHeader.partial();

/**
 * The request's `Idempotency-Key` (1–255 printable characters): a 400 naming the header when it
 * is malformed, or missing where it is `required`.
 */
export function idempotencyKeyOf(req: Request, { required }: { required: true }): string;
export function idempotencyKeyOf(req: Request, options?: { required?: false }): string | undefined;
export function idempotencyKeyOf(req: Request, { required = false }: { required?: boolean } = {}): string | undefined {
  const given = { 'Idempotency-Key': req.get('Idempotency-Key') };
  return required ? validate(idempotencyKeyHeader, given)['Idempotency-Key'] : validate(optionalKeyHeader, given)['Idempotency-Key'];
}

/** The same request, whatever the order of its fields: what an Idempotency-Key is compared by. */
export function requestHash(path: string, body: unknown): string {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : value !== null && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, canonical(v)]))
        : value;
  return createHash('sha256').update(JSON.stringify([path, canonical(body)])).digest('hex');
}
