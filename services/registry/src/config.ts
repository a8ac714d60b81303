import { httpServiceVariables, positiveInt, storeVariables, z } from '@tamkeen/config';

/** A member of the exchange allowed to ask the register: who it is, where its keys are, what it may ask. */
const member = z.object({
  /** Its X-Road client identifier, e.g. PS/GOV/MOPAD/identity. */
  client: z.string().regex(/^[A-Z]{2}\/[A-Z]+\/[A-Za-z0-9-]+\/[A-Za-z0-9-]+$/, { message: 'must be INSTANCE/CLASS/MEMBER/SUBSYSTEM, e.g. PS/GOV/MOPAD/identity' }),
  /** Where its public keys are published (its client assertions are verified with them). */
  jwks_uri: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }),
  /** The register's services it may use. */
  services: z.array(z.enum(['verify', 'citizens'])).min(1),
  /** Its own lookup limit per minute; the default otherwise. */
  lookups_per_minute: z.number().int().positive().optional(),
});

export type Member = z.output<typeof member>;

const members = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be a JSON array of members' });
    return z.NEVER;
  }
}).pipe(z.array(member).min(1, { message: 'must name at least one member' }));

export const registryConfig = z.object({
  ...httpServiceVariables(4004),
  ...storeVariables(),
  /** The members allowed to ask the register (JSON): [{client, jwks_uri, services, lookups_per_minute?}]. */
  X_ROAD_MEMBERS: members,
  /** This service's own X-Road identifier: the audience of the client assertions it accepts. */
  X_ROAD_SERVICE: z.string().min(1).default('PS/GOV/MOI/registry'),
  /** Lookups per minute per member, unless the member has its own limit. */
  LOOKUPS_PER_MINUTE: positiveInt(600),
  /** Key prefix in Redis. */
  REDIS_PREFIX: z.string().min(1).default('tamkeen-registry'),
});

export type RegistryConfig = z.output<typeof registryConfig>;
