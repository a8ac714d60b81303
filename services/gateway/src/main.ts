import { loadConfigOrExit } from '@tamkeen/config';
import { openStores } from '@tamkeen/db';
import { createLogger, startService } from '@tamkeen/http-kit';
import { createApp } from './app.js';
import { gatewayConfig } from './config.js';

const config = loadConfigOrExit('gateway', gatewayConfig);
const logger = createLogger({ service: 'gateway', level: config.LOG_LEVEL });
const stores = openStores(config, 'gateway', logger);
const app = createApp({ config, logger, ...stores });
await startService(app, config, logger, [stores.close, async () => app.upstreamAgents.forEach((agent) => agent.destroy())], app.listener);
