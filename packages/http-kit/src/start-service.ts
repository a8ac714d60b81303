import type { RequestListener } from 'node:http';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { PortInUse, serve, type RunningServer } from './serve.js';

export interface ListenConfig {
  HOST: string;
  PORT: number;
  SHUTDOWN_TIMEOUT_MS: number;
}

/**
 * A service's main after its config is loaded: listen, shut down gracefully on SIGTERM/SIGINT,
 * and exit with one clear line (not a stack trace) when the port is taken.
 */
export async function startService(
  app: Express,
  config: ListenConfig,
  logger: Logger,
  onShutdown: Array<() => Promise<unknown>> = [],
  listener?: RequestListener,
): Promise<RunningServer> {
  try {
    return await serve(app, {
      port: config.PORT,
      host: config.HOST,
      logger,
      shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
      onShutdown,
      handleSignals: true,
      listener,
    });
  } catch (error) {
    if (error instanceof PortInUse) {
      logger.fatal(error.message);
    } else {
      logger.fatal({ err: error }, 'failed to start');
    }
    for (const release of onShutdown) await release().catch(() => undefined);
    process.exit(1);
  }
}
