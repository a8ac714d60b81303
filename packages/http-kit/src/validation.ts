import type { ZodError, ZodType } from 'zod';
import { ValidationFailed, type InvalidParam } from './errors.js';

const nameOf = (path: readonly PropertyKey[]) => (path.length ? path.map(String).join('.') : '(body)');

export function invalidParamsOf(error: ZodError): InvalidParam[] {
  return error.issues.flatMap((issue) =>
    // A field that does not belong (a strict object) is named itself, not its parent.
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ name: nameOf([...issue.path, key]), reason: 'is not a field of this request' }))
      : [{ name: nameOf(issue.path), reason: issue.message }],
  );
}

/** Parses input against a schema, or throws a 400 that names each wrong field. */
export function validate<T>(schema: ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationFailed(invalidParamsOf(result.error));
  return result.data;
}
