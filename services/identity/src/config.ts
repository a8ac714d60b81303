import { httpServiceVariables, httpUrl, positiveInt, storeVariables, z } from '@tamkeen/config';

export const identityConfig = z.object({
  ...httpServiceVariables(4001),
  ...storeVariables(),
  /** The platform's public origin (the gateway): issuers are <PUBLIC_URL>/auth/citizen and /auth/enterprise. */
  PUBLIC_URL: httpUrl().default('http://localhost:8080'),
  /** Secrets that sign the login cookies, comma-separated, each at least 32 characters; the first signs. */
  COOKIE_KEYS: z
    .string({ message: 'is required: comma-separated secrets of at least 32 characters' })
    .transform((value) => value.split(',').map((key) => key.trim()).filter(Boolean))
    .pipe(z.array(z.string().min(32, { message: 'each key must be at least 32 characters' })).min(1, { message: 'needs at least one key' })),
  /** How long machine clients' access tokens live, in seconds. */
  ACCESS_TOKEN_TTL_S: positiveInt(600),
});

export type IdentityConfig = z.output<typeof identityConfig>;
