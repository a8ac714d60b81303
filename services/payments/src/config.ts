import { httpServiceVariables, storeVariables, z } from '@tamkeen/config';

export const paymentsConfig = z.object({
  ...httpServiceVariables(4002),
  ...storeVariables(),
});

export type PaymentsConfig = z.output<typeof paymentsConfig>;
