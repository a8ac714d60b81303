import { loadConfigOrExit } from '@tamkeen/config';
import { openStores } from '@tamkeen/db';
import { createLogger, startService } from '@tamkeen/http-kit';
import { createApp } from './app.js';
import { identityConfig } from './config.js';
import { identityProviders, xRoadKeys } from './identity-providers.js';
import { signingKeys } from './keys/signing-keys.js';
import { startModelSweeper } from './oidc/postgres-adapter.js';
import { notificationsCodeSender } from './one-time-codes/code-sender.js';

const config = loadConfigOrExit('identity', identityConfig);
const logger = createLogger({ service: 'identity', level: config.LOG_LEVEL });
const stores = openStores(config, 'identity', logger);
const providers = await identityProviders(config, stores.knex);
const enterpriseKey = (await signingKeys(stores.knex, 'enterprise')).find((key) => key.alg === 'ES256')!;
const codeSender = notificationsCodeSender({
  notificationsUrl: config.NOTIFICATIONS_URL,
  issuer: `${config.PUBLIC_URL}/auth/enterprise`,
  audience: `${config.PUBLIC_URL}/notifications/v1`,
  key: enterpriseKey,
});
const sweeper = startModelSweeper(stores.knex, (error) => logger.warn({ err: error }, 'could not sweep expired OIDC rows'));
await startService(createApp({ config, logger, ...stores, providers, xRoadKeys: await xRoadKeys(stores.knex), codeSender }), config, logger, [sweeper.stop, stores.close]);
