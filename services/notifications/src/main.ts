import { loadConfigOrExit } from '@tamkeen/config';
import { openStores } from '@tamkeen/db';
import { accessTokenVerifier, createLogger, startService } from '@tamkeen/http-kit';
import { createApp } from './app.js';
import { openLanes } from './delivery/lanes.js';
import { openStatusChanges } from './delivery/webhooks.js';
import { notificationsConfig } from './config.js';

const config = loadConfigOrExit('notifications', notificationsConfig);
const logger = createLogger({ service: 'notifications', level: config.LOG_LEVEL });
const stores = openStores(config, 'notifications', logger);
const verifyAccessToken = accessTokenVerifier({
  jwksUrl: config.ACCESS_TOKEN_JWKS_URL,
  issuer: config.ACCESS_TOKEN_ISSUER,
  audience: config.ACCESS_TOKEN_AUDIENCE,
});
const lanes = openLanes(stores.redis, { attempts: config.SEND_ATTEMPTS, backoffMs: config.SEND_BACKOFF_MS }, config.QUEUE_PREFIX);
const statusChanges = openStatusChanges(stores.redis, config.QUEUE_PREFIX);
await startService(createApp({ config, logger, ...stores, verifyAccessToken, lanes, statusChanges }), config, logger, [lanes.close, statusChanges.close, stores.close]);
