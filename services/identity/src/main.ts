import { loadConfigOrExit } from '@tamkeen/config';
import { openStores } from '@tamkeen/db';
import { createLogger, startService } from '@tamkeen/http-kit';
import { createApp } from './app.js';
import { identityConfig } from './config.js';

const config = loadConfigOrExit('identity', identityConfig);
const logger = createLogger({ service: 'identity', level: config.LOG_LEVEL });
const stores = openStores(config, 'identity', logger);
await startService(createApp({ config, logger, ...stores }), config, logger, [stores.close]);
