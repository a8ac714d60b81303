import { accessTokenVariables, httpServiceVariables, httpUrl, positiveInt, storeVariables, z } from '@tamkeen/config';

export const paymentsConfig = z.object({
  ...httpServiceVariables(4002),
  ...storeVariables(),
  ...accessTokenVariables(),
  /** The platform's public origin: the hosted payment page is <PUBLIC_URL>/pay/<id>. */
  PUBLIC_URL: httpUrl().default('http://localhost:8080'),
  /** A payment not completed within this long expires (GOV.UK Pay: 90 minutes). */
  PAYMENT_EXPIRY_MINUTES: positiveInt(90),
});

export type PaymentsConfig = z.output<typeof paymentsConfig>;
