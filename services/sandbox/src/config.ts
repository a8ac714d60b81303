import { httpServiceVariables, z } from '@tamkeen/config';

/** The sandbox keeps nothing durable: no database, no Redis. */
export const sandboxConfig = z.object({
  ...httpServiceVariables(4005),
});

export type SandboxConfig = z.output<typeof sandboxConfig>;
