import type { IncomingMessage } from 'node:http';
import type { IRouter } from 'express';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { resource } from './routes.js';

export interface ServiceMetrics {
  registry: Registry;
  /** Request durations by method, route (a pattern, never a raw path) and status code. */
  httpDuration: Histogram<'method' | 'route' | 'status'>;
}

/** A registry per app (not prom-client's global one), with the process's default metrics. */
export function createMetrics(service: string): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer HTTP requests, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return { registry, httpDuration };
}

const ROUTE_LABEL = Symbol('metrics route');

/** Names the route of a request that did not go through Express routing (the gateway's proxy path). */
export function labelRoute(req: IncomingMessage, route: string): void {
  (req as unknown as Record<symbol, string>)[ROUTE_LABEL] = route;
}

/** The route pattern a request matched (`/payments/v1/{*rest}`), so that labels stay few; `unmatched` otherwise. */
export function routeOf(req: IncomingMessage): string {
  const labelled = (req as unknown as Record<symbol, string | undefined>)[ROUTE_LABEL];
  if (labelled) return labelled;
  const express = req as IncomingMessage & { route?: { path?: unknown }; baseUrl?: string };
  const path = express.route?.path;
  return typeof path === 'string' ? `${express.baseUrl ?? ''}${path}` : 'unmatched';
}

/** `GET /metrics` in Prometheus's text format. */
export function metricsRoutes(router: IRouter, metrics: ServiceMetrics): void {
  resource(router, '/metrics', {
    get: async (_req, res) => {
      res.setHeader('Content-Type', metrics.registry.contentType);
      res.setHeader('Cache-Control', 'no-store');
      res.end(await metrics.registry.metrics());
    },
  });
}
