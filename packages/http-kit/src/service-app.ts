import express, { type Express, type IRouter } from 'express';
import type { Logger } from 'pino';
import { formBody, jsonBody } from './body.js';
import { metricsRoutes, type ServiceMetrics } from './metrics.js';
import { healthRoutes, type ReadinessCheck } from './health.js';
import { notFound, problemFunnel } from './problem.js';
import { requestId } from './request-context.js';
import { requestLogging } from './request-logging.js';

export interface ServiceAppOptions {
  logger: Logger;
  /** What /readyz checks: the service's own database, Redis, upstreams... */
  readiness: Record<string, ReadinessCheck>;
  readinessTimeoutMs?: number;
  /** Number of proxies in front of this service whose X-Forwarded-* headers are trusted. */
  trustProxy?: number;
  /** When set, request durations are recorded and served at /metrics. */
  metrics?: ServiceMetrics;
  /** When set, JSON and form bodies are parsed up to this size (larger: 413). Leave unset to stream bodies. */
  bodyLimit?: string;
}

/**
 * The Express app every service starts from: request id, one log line per request, health routes,
 * then the service's own routes, then 404 and the problem+json funnel.
 */
export function createServiceApp(options: ServiceAppOptions, routes: (router: IRouter) => void): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy ?? 1);
  app.set('query parser', 'simple');
  app.use(requestId());
  app.use(requestLogging(options.logger, options.metrics));
  healthRoutes(app, options.readiness, options.readinessTimeoutMs);
  if (options.metrics) metricsRoutes(app, options.metrics);
  if (options.bodyLimit !== undefined) app.use(jsonBody(options.bodyLimit), formBody(options.bodyLimit));
  routes(app);
  app.use(notFound());
  app.use(problemFunnel(options.logger));
  return app;
}
