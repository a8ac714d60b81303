import { loadConfigOrExit } from '@tamkeen/config';
import { openStores } from '@tamkeen/db';
import { createLogger, startService } from '@tamkeen/http-kit';
import { createApp } from './app.js';
import { registryConfig } from './config.js';

const config = loadConfigOrExit('registry', registryConfig);
const logger = createLogger({ service: 'registry', level: config.LOG_LEVEL });
const stores = openStores(config, 'registry', logger);
await startService(createApp({ config, logger, ...stores }), config, logger, [stores.close]);
