import type { ZodError, ZodType } from 'zod';
import { ValidationFailed, type InvalidParam } from './errors.js';

export function invalidParamsOf(error: ZodError): InvalidParam[] {
  return error.issues.map((issue) => ({
    name: issue.path.length ? issue.path.map(String).join('.') : '(body)',
    reason: issue.message,
  }));
}

/** Parses input against a schema, or throws a 400 that names each wrong field. */
export function validate<T>(schema: ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationFailed(invalidParamsOf(result.error));
  return result.data;
}
