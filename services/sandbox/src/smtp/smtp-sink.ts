import type { AddressInfo } from 'node:net';
import type { Logger } from '@tamkeen/http-kit';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { MailStore } from './mail-store.js';

export interface SmtpSink {
  port: number;
  close(): Promise<void>;
}

const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

/**
 * An SMTP server that accepts every message (any or no login, no TLS: development only), parses it
 * with mailparser and keeps it for the inbox.
 */
export async function startSmtpSink({ port, host, store, logger }: { port: number; host: string; store: MailStore; logger: Logger }): Promise<SmtpSink> {
  const server = new SMTPServer({
    name: 'sandbox.tamkeen',
    banner: 'Tamkeen sandbox SMTP sink',
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    size: MAX_MESSAGE_BYTES,
    logger: false,
    onAuth(_auth, _session, callback) {
      callback(null, { user: 'sandbox' });
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          const stored = store.add({
            messageId: parsed.messageId,
            from: parsed.from?.text,
            to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
            subject: parsed.subject,
            text: parsed.text,
            html: typeof parsed.html === 'string' ? parsed.html : undefined,
            receivedAt: new Date(),
          });
          logger.info({ mail: stored.id, recipients: stored.to.length }, 'mail received');
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  server.on('error', (error) => logger.warn({ err: error }, 'SMTP sink error'));
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actualPort = (server.server.address() as AddressInfo).port;
  logger.info({ port: actualPort }, 'SMTP sink listening');
  return {
    port: actualPort,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
