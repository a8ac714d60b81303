import { loadConfigOrExit } from '@tamkeen/config';
import { openStores } from '@tamkeen/db';
import { createLogger, startService } from '@tamkeen/http-kit';
import { createApp } from './app.js';
import { identityConfig } from './config.js';
import { identityProviders, xRoadKeys } from './identity-providers.js';

const config = loadConfigOrExit('identity', identityConfig);
const logger = createLogger({ service: 'identity', level: config.LOG_LEVEL });
const stores = openStores(config, 'identity', logger);
const providers = await identityProviders(config, stores.knex);
await startService(createApp({ config, logger, ...stores, providers, xRoadKeys: await xRoadKeys(stores.knex) }), config, logger, [stores.close]);
