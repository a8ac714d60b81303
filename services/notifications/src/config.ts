import { accessTokenVariables, httpServiceVariables, storeVariables, z } from '@tamkeen/config';

export const notificationsConfig = z.object({
  ...httpServiceVariables(4003),
  ...storeVariables(),
  ...accessTokenVariables(),
});

export type NotificationsConfig = z.output<typeof notificationsConfig>;
