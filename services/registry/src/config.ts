import { httpServiceVariables, storeVariables, z } from '@tamkeen/config';

export const registryConfig = z.object({
  ...httpServiceVariables(4004),
  ...storeVariables(),
});

export type RegistryConfig = z.output<typeof registryConfig>;
