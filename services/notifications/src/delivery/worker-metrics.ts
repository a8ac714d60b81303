import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What the sending workers count: sends and failures per lane, and how long a notification waited. */
export interface DeliveryMetrics {
  registry: Registry;
  sent: Counter<'lane' | 'type'>;
  failed: Counter<'lane' | 'type' | 'kind'>;
  /** From acceptance by the API to the provider taking it. */
  latency: Histogram<'lane' | 'type'>;
}

export function createDeliveryMetrics(): DeliveryMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'notifications-worker' });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    sent: new Counter({ name: 'notifications_sent_total', help: 'Notifications handed to a provider.', labelNames: ['lane', 'type'] as const, registers: [registry] }),
    failed: new Counter({
      name: 'notifications_failed_total',
      help: 'Failed sends: temporary (will retry), permanent (refused for good), exhausted (technical-failure).',
      labelNames: ['lane', 'type', 'kind'] as const,
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'notifications_delivery_latency_seconds',
      help: 'From acceptance by the API to the provider taking the notification.',
      labelNames: ['lane', 'type'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
  };
}

/** /metrics (and /healthz) for the worker process, which has no API of its own. */
export async function serveDeliveryMetrics(metrics: DeliveryMetrics, port: number, host: string): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    if (req.url === '/metrics') {
      res.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(await metrics.registry.metrics());
    } else if (req.url === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"ok"}');
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
