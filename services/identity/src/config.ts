import { httpServiceVariables, storeVariables, z } from '@tamkeen/config';

export const identityConfig = z.object({
  ...httpServiceVariables(4001),
  ...storeVariables(),
});

export type IdentityConfig = z.output<typeof identityConfig>;
