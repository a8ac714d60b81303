import { loadConfigOrExit } from '@tamkeen/config';
import { openStores } from '@tamkeen/db';
import { createLogger, startService } from '@tamkeen/http-kit';
import { providerCheck } from './admin-api/provider-check.js';
import { createApp } from './app.js';
import { ensurePlatformClients } from './clients/platform-clients.js';
import { identityConfig } from './config.js';
import { identityProviders, xRoadKeys } from './identity-providers.js';
import { signingKeys } from './keys/signing-keys.js';
import { startModelSweeper } from './oidc/postgres-adapter.js';
import { notificationsCodeSender } from './one-time-codes/code-sender.js';

const config = loadConfigOrExit('identity', identityConfig);
const logger = createLogger({ service: 'identity', level: config.LOG_LEVEL });
const stores = openStores(config, 'identity', logger);
const providers = await identityProviders(config, stores.knex);
// Before listening: payments asks for its token as soon as it starts (identity starts first).
try {
  await ensurePlatformClients(stores.knex, config.PLATFORM_CLIENTS, { check: providerCheck(providers), logger });
} catch (error) {
  logger.fatal({ err: error }, 'could not ensure the platform clients that PLATFORM_CLIENTS lists');
  await stores.close();
  process.exit(1);
}
const enterpriseKey = (await signingKeys(stores.knex, 'enterprise')).find((key) => key.alg === 'ES256')!;
const codeSender = notificationsCodeSender({
  notificationsUrl: config.NOTIFICATIONS_URL,
  issuer: `${config.PUBLIC_URL}/auth/enterprise`,
  audience: `${config.PUBLIC_URL}/notifications/v1`,
  key: enterpriseKey,
});
const sweeper = startModelSweeper(stores.knex, (error) => logger.warn({ err: error }, 'could not sweep expired OIDC rows'));
await startService(createApp({ config, logger, ...stores, providers, xRoadKeys: await xRoadKeys(stores.knex), codeSender }), config, logger, [sweeper.stop, stores.close]);
