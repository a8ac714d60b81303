import { httpServiceVariables, httpUrl, positiveInt, storeVariables, z } from '@tamkeen/config';

export const gatewayConfig = z.object({
  ...httpServiceVariables(8080),
  ...storeVariables(),
  IDENTITY_URL: httpUrl(),
  PAYMENTS_URL: httpUrl(),
  NOTIFICATIONS_URL: httpUrl(),
  /** An upstream that sends nothing for this long gets a 504. */
  UPSTREAM_TIMEOUT_MS: positiveInt(30_000),
  /** An upstream that does not accept the connection within this long is down: 502. */
  UPSTREAM_CONNECT_TIMEOUT_MS: positiveInt(1_000),
  /** Load balancers in front of the gateway whose X-Forwarded-* headers are kept (0: the gateway is the edge). */
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0, { message: 'must be 0 or more' }).default(0),
});

export type GatewayConfig = z.output<typeof gatewayConfig>;
