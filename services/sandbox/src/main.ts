import { loadConfigOrExit } from '@tamkeen/config';
import { createLogger, startService } from '@tamkeen/http-kit';
import { createApp } from './app.js';
import { sandboxConfig } from './config.js';
import { MailStore } from './smtp/mail-store.js';
import { startSmtpSink } from './smtp/smtp-sink.js';

const config = loadConfigOrExit('sandbox', sandboxConfig);
const logger = createLogger({ service: 'sandbox', level: config.LOG_LEVEL });
const mails = new MailStore();
const smtp = await startSmtpSink({ port: config.SMTP_PORT, host: config.HOST, store: mails, logger }).catch((error: NodeJS.ErrnoException) => {
  logger.fatal(error.code === 'EADDRINUSE' ? `port ${config.SMTP_PORT} is already in use: set SMTP_PORT to another port` : String(error));
  process.exit(1);
});
await startService(createApp({ config, logger, mails }), config, logger, [smtp.close]);
