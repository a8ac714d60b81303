import type { IRouter, RequestHandler } from 'express';
import { MethodNotAllowed, NotImplemented } from './errors.js';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type ResourceHandlers = Partial<Record<Method, RequestHandler | RequestHandler[]>>;

/**
 * Registers the handlers of one path; any other method on it is a 405 problem with `Allow`.
 * (HEAD follows GET, OPTIONS answers with Allow.)
 */
export function resource(router: IRouter, path: string, handlers: ResourceHandlers): void {
  const route = router.route(path);
  const methods = Object.keys(handlers) as Method[];
  for (const method of methods) {
    const handler = handlers[method];
    if (handler) route[method](...(Array.isArray(handler) ? handler : [handler]));
  }
  const allowed = methods.map((m) => m.toUpperCase());
  if (allowed.includes('GET')) allowed.push('HEAD');
  allowed.push('OPTIONS');
  const allow = allowed.join(', ');
  route.options((_req, res) => {
    res.setHeader('Allow', allow);
    res.status(204).end();
  });
  route.all((req) => {
    throw new MethodNotAllowed(`${req.method} is not allowed on ${req.path}; use ${allow}.`, { headers: { Allow: allow } });
  });
}

/**
 * Answers every request under `prefix` with 501 until the feature is built, naming the issue that builds it.
 * Nothing is faked: a client learns at once that the route is planned, not broken.
 */
export function notBuilt(router: IRouter, prefix: string, what: string): void {
  const handler: RequestHandler = (req) => {
    throw new NotImplemented(`${what} is not built yet (${req.method} ${req.path}).`);
  };
  router.all(prefix, handler);
  router.all(`${prefix.replace(/\/$/, '')}/{*rest}`, handler);
}
