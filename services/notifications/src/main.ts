import { loadConfigOrExit } from '@tamkeen/config';
import { openStores } from '@tamkeen/db';
import { createLogger, startService } from '@tamkeen/http-kit';
import { createApp } from './app.js';
import { notificationsConfig } from './config.js';

const config = loadConfigOrExit('notifications', notificationsConfig);
const logger = createLogger({ service: 'notifications', level: config.LOG_LEVEL });
const stores = openStores(config, 'notifications', logger);
await startService(createApp({ config, logger, ...stores }), config, logger, [stores.close]);
