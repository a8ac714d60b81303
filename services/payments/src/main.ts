import { loadConfigOrExit } from '@tamkeen/config';
import { openStores } from '@tamkeen/db';
import { createLogger, startService } from '@tamkeen/http-kit';
import { createApp } from './app.js';
import { paymentsConfig } from './config.js';

const config = loadConfigOrExit('payments', paymentsConfig);
const logger = createLogger({ service: 'payments', level: config.LOG_LEVEL });
const stores = openStores(config, 'payments', logger);
await startService(createApp({ config, logger, ...stores }), config, logger, [stores.close]);
