import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { labelRoute, requestId, requestLogging, type Logger, type ServiceMetrics } from '@tamkeen/http-kit';
import type { Proxy } from './proxy.js';

/** The first path segment, as the routing table names it: `/pay/x?y` → `/pay`. */
export function firstSegment(url: string): string {
  const end = url.slice(1).search(/[/?#]/);
  return end < 0 ? url : url.slice(0, end + 1);
}

/**
 * The gateway's request listener. Proxied paths skip Express: the request gets its id and its log
 * line exactly as under Express, then goes straight to the proxy (Express's router cost a tenth of
 * the gateway's CPU per request; bench/README.md). Everything else (health, 404s) is `app`'s.
 */
export function frontDoor(app: RequestListener, proxies: Map<string, Proxy>, logger: Logger, metrics?: ServiceMetrics): RequestListener {
  const withId = requestId();
  const logged = requestLogging(logger, metrics);
  return (req: IncomingMessage, res: ServerResponse) => {
    const prefix = firstSegment(req.url ?? '/');
    const proxy = proxies.get(prefix);
    if (!proxy) return app(req, res);
    labelRoute(req, `${prefix}/{*rest}`);
    withId(req, res, () => logged(req, res, () => proxy(req, res)));
  };
}
