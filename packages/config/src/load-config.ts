import type { z } from 'zod';
import { ConfigError, type ConfigProblem } from './config-error.js';

export type Env = Record<string, string | undefined>;

/**
 * Validates `env` against `schema` (one key per variable) and returns the typed configuration,
 * or throws a ConfigError naming every variable that is missing or malformed.
 */
export function loadConfig<S extends z.ZodObject>(service: string, schema: S, env: Env = process.env): z.output<S> {
  // Empty strings count as unset, as in most shells' `VAR= command`.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = schema.safeParse(present);
  if (result.success) return result.data;
  const problems: ConfigProblem[] = result.error.issues.map((issue) => {
    const variable = String(issue.path[0] ?? '(environment)');
    const missing = issue.code === 'invalid_type' && present[variable] === undefined;
    return { variable, reason: missing ? 'is required but not set' : issue.message };
  });
  throw new ConfigError(service, problems);
}

/** For a service's main: like loadConfig, but prints the problems and exits with status 78 (EX_CONFIG). */
export function loadConfigOrExit<S extends z.ZodObject>(service: string, schema: S, env: Env = process.env): z.output<S> {
  try {
    return loadConfig(service, schema, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
}
