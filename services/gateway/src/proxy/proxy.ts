import { Agent, request, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { BadGateway, GatewayTimeout, sendProblem, type HttpError, type Logger } from '@tamkeen/http-kit';
import { setForwardedHeaders } from './forwarded.js';
import { endToEndHeaders } from './hop-by-hop.js';
import type { Upstream } from './routing-table.js';

export interface ProxyOptions {
  upstream: Upstream;
  /** No byte from the upstream for this long: 504. */
  timeoutMs: number;
  /** The upstream does not accept the connection within this long: it is down, 502. */
  connectTimeoutMs: number;
  trustedHops: number;
  logger: Logger;
}

class ConnectTimeout extends Error {
  readonly code = 'ECONNECT_TIMEOUT';
}

/**
 * Streams the request to the upstream and its response back, without buffering either body.
 * The path is passed unchanged: each service serves its public paths itself.
 */
export type Proxy = ((req: IncomingMessage, res: ServerResponse) => void) & { agent: Agent };

export function proxyTo({ upstream, timeoutMs, connectTimeoutMs, trustedHops, logger }: ProxyOptions): Proxy {
  const target = new URL(upstream.url);
  const basePath = target.pathname.replace(/\/$/, '');
  // Pooled sockets idle for a minute are closed here first, before the upstream's 65 s keep-alive ends them.
  const agent = new Agent({ keepAlive: true, timeout: 60_000, maxSockets: 1_024, maxFreeSockets: 256, scheduling: 'lifo' });

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    // Under Express (mounted at a prefix) req.url is shortened; originalUrl is what the client sent.
    const path = basePath + ((req as { originalUrl?: string }).originalUrl ?? req.url ?? '/');
    const headers = endToEndHeaders(req.headers);
    setForwardedHeaders(headers, req, trustedHops);
    headers['x-request-id'] = req.id;
    headers.host = target.host;
    const bodiless = req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined;
    // A request that is safe to repeat may be sent again once if a pooled connection turns out to be closed.
    const repeatable = bodiless && (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS');
    let answered = false;
    let clientGone = false;
    let current: ClientRequest | undefined;
    // The client went away: stop the upstream work too, and never repeat it.
    res.once('close', () => {
      if (res.writableFinished) return;
      clientGone = true;
      current?.destroy();
    });
    const warn = (reason: unknown, message: string) =>
      logger.warn({ upstream: upstream.name, requestId: req.id, reason: (reason as { code?: string }).code ?? String(reason) }, message);

    const forward = (attempt: number) => {
      const upstreamReq = request({
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path,
        headers,
        agent,
      });
      current = upstreamReq;

      const fail = (error: HttpError, cause: unknown) => {
        if (answered) return;
        answered = true;
        upstreamReq.destroy();
        warn(cause, error.detail);
        if (res.headersSent) res.destroy();
        else sendProblem(req, res, error);
      };
      // Once the response has begun, a failure can only cut it short: the client sees a broken body.
      const breakOff = (cause: unknown, message: string) => {
        if (clientGone || res.writableFinished) return;
        warn(cause, message);
        upstreamReq.destroy();
        res.destroy();
      };

      upstreamReq.setTimeout(timeoutMs, () => {
        if (answered) breakOff('timeout', `The ${upstream.name} service stopped sending its response for ${timeoutMs} ms.`);
        else fail(new GatewayTimeout(`The ${upstream.name} service did not answer within ${timeoutMs} ms.`), 'timeout');
      });
      upstreamReq.on('socket', (socket) => {
        if (!socket.connecting) return;
        // A proxy forwards small writes as they come; Nagle's algorithm would hold them back.
        socket.setNoDelay(true);
        const timer = setTimeout(() => socket.destroy(new ConnectTimeout('connect timeout')), connectTimeoutMs);
        socket.once('connect', () => clearTimeout(timer));
        socket.once('close', () => clearTimeout(timer));
      });
      upstreamReq.on('error', (error: NodeJS.ErrnoException) => {
        if (clientGone) return;
        if (!answered && repeatable && attempt === 0 && upstreamReq.reusedSocket && error.code === 'ECONNRESET') {
          forward(1);
          return;
        }
        if (answered) breakOff(error, `The ${upstream.name} service broke off its response.`);
        else fail(new BadGateway(`The ${upstream.name} service is unavailable; try again shortly.`), error);
      });
      upstreamReq.on('response', (upstreamRes: IncomingMessage) => {
        if (answered) {
          upstreamRes.resume();
          return;
        }
        answered = true;
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, endToEndHeaders(upstreamRes.headers));
        // pipe(), not pipeline(): in Node 20 each pipeline() builds an AbortController and a
        // DOMException, a tenth of the gateway's CPU per request (bench/README.md).
        upstreamRes.once('error', (error) => breakOff(error, `The ${upstream.name} service broke off its response.`));
        upstreamRes.pipe(res);
      });

      if (bodiless) upstreamReq.end();
      else req.pipe(upstreamReq);
    };
    forward(0);
  };
  return Object.assign(handler, { agent });
}
