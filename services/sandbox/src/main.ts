import { loadConfigOrExit } from '@tamkeen/config';
import { createLogger, startService } from '@tamkeen/http-kit';
import { createApp } from './app.js';
import { sandboxConfig } from './config.js';

const config = loadConfigOrExit('sandbox', sandboxConfig);
const logger = createLogger({ service: 'sandbox', level: config.LOG_LEVEL });
await startService(createApp({ config, logger }), config, logger);
