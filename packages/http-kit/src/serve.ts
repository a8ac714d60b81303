import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { DRAINING } from './health.js';

export interface ServeOptions {
  port: number;
  host?: string;
  logger: Logger;
  /** How long in-flight requests may take to finish once shutdown begins; then connections are cut. */
  shutdownTimeoutMs?: number;
  /** Closed in order after the last request finished: pools, queues, workers. */
  onShutdown?: Array<() => Promise<unknown>>;
  /** Shut down on SIGTERM and SIGINT (true for a service's main; tests call close() themselves). */
  handleSignals?: boolean;
  /** What answers requests, when not `app` itself (a fast path in front of it). */
  listener?: RequestListener;
}

export interface RunningServer {
  server: Server;
  /** http://host:port the server listens on. */
  url: string;
  /** Stops accepting, lets in-flight requests finish, then closes what `onShutdown` lists. Idempotent. */
  close(): Promise<void>;
}

export class PortInUse extends Error {
  constructor(readonly port: number) {
    super(`port ${port} is already in use: stop whatever listens there, or set PORT to another port`);
    this.name = 'PortInUse';
  }
}

/** Listens with `app` and arranges the graceful shutdown every service needs. */
export async function serve(app: Express, options: ServeOptions): Promise<RunningServer> {
  const { logger, shutdownTimeoutMs = 10_000, onShutdown = [] } = options;
  const server = createServer(options.listener ?? app);
  // Node's defaults close idle keep-alive sockets after 5 s; stay above a typical proxy's 60 s idle pool.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  let draining = false;
  const pending = new Set<ServerResponse>();
  server.on('request', (_req, res: ServerResponse) => {
    if (draining) res.setHeader('Connection', 'close');
    pending.add(res);
    res.once('close', () => {
      pending.delete(res);
      // A keep-alive connection that just went idle is closed at once while draining.
      if (draining) setImmediate(() => server.closeIdleConnections());
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? new PortInUse(options.port) : error));
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}`;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      draining = true;
      app.set(DRAINING, true);
      logger.info({ shutdownTimeoutMs }, 'shutting down: no new connections, finishing in-flight requests');
      for (const res of pending) if (!res.headersSent) res.setHeader('Connection', 'close');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = setTimeout(() => {
        logger.warn('in-flight requests did not finish in time; closing their connections');
        server.closeAllConnections();
      }, shutdownTimeoutMs);
      await closed;
      clearTimeout(deadline);
      for (const release of onShutdown) {
        let timer: NodeJS.Timeout | undefined;
        try {
          // A resource that hangs (a Redis that never answers QUIT) must not keep the process alive.
          await Promise.race([
            release(),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error(`did not close within ${shutdownTimeoutMs} ms`)), shutdownTimeoutMs);
            }),
          ]);
        } catch (error) {
          logger.error({ err: error }, 'a resource failed to close');
        } finally {
          clearTimeout(timer);
        }
      }
      logger.info('shut down');
    })();
    return closing;
  };

  if (options.handleSignals) {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'signal received');
      void close().then(() => process.exit(0));
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }

  logger.info({ url }, 'listening');
  return { server, url, close };
}
