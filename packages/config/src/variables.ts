import { z } from 'zod';

// Building blocks for service schemas. Messages say what was expected, never echo the value.

/** A TCP port; 0 asks the system for a free one (tests and benchmarks do). */
export const port = (fallback?: number) => {
  const schema = z.coerce
    .number({ message: 'must be a port number (1-65535, or 0 for any free port)' })
    .int({ message: 'must be a port number (1-65535, or 0 for any free port)' })
    .min(0, { message: 'must be a port number (1-65535, or 0 for any free port)' })
    .max(65535, { message: 'must be a port number (1-65535, or 0 for any free port)' });
  return fallback === undefined ? schema : schema.default(fallback);
};

export const positiveInt = (fallback?: number) => {
  const schema = z.coerce
    .number({ message: 'must be a positive whole number' })
    .int({ message: 'must be a positive whole number' })
    .positive({ message: 'must be a positive whole number' });
  return fallback === undefined ? schema : schema.default(fallback);
};

export const url = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    },
    { message: `must be a URL (${protocols.map((p) => `${p}://...`).join(' or ')})` },
  );

export const httpUrl = () => url(['http', 'https']).transform((value) => value.replace(/\/+$/, ''));
export const postgresUrl = () => url(['postgres', 'postgresql']);
export const redisUrl = () => url(['redis', 'rediss']);

export const logLevel = () =>
  z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      message: 'must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info');

export const boolean = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
    .transform((value) => value === 'true' || value === '1' || value === 'yes')
    .default(fallback);

/** A size such as 100kb or 1mb, as body parsers take it. */
export const byteSize = (fallback: string) =>
  z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, { message: 'must be a size such as 100kb or 1mb' })
    .default(fallback);

/** What every HTTP service reads: where it listens, how much it logs, how long it drains on shutdown. */
export const httpServiceVariables = (defaultPort: number) => ({
  HOST: z.string().default('0.0.0.0'),
  PORT: port(defaultPort),
  LOG_LEVEL: logLevel(),
  BODY_LIMIT: byteSize('100kb'),
  SHUTDOWN_TIMEOUT_MS: positiveInt(10_000),
});

/**
 * A resource API that accepts the enterprise issuer's access tokens: where its keys are fetched
 * (inside the platform), the issuer named in the tokens (public), and this API's resource indicator.
 */
export const accessTokenVariables = () => ({
  ACCESS_TOKEN_JWKS_URL: httpUrl(),
  ACCESS_TOKEN_ISSUER: httpUrl(),
  ACCESS_TOKEN_AUDIENCE: httpUrl(),
});

/** Every service that owns data: its own database, and the shared Redis. Neither has a default. */
export const storeVariables = () => ({
  DATABASE_URL: postgresUrl(),
  REDIS_URL: redisUrl(),
});
