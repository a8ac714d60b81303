import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { logCapture, waitFor } from '@tamkeen/testing';
import { createLogger, createServiceApp, PortInUse, resource, serve, upstreamFetch, withRequestId } from './index.js';

function quietLogger() {
  return createLogger({ service: 'test', destination: logCapture().destination });
}

describe('serve', () => {
  it('on shutdown stops accepting, finishes in-flight requests, then closes resources', async () => {
    const events: string[] = [];
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const app = createServiceApp({ logger: quietLogger(), readiness: {} }, (router) => {
      resource(router, '/slow', {
        get: async (_req, res) => {
          events.push('slow started');
          await released;
          res.json({ finished: true });
        },
      });
    });
    const running = await serve(app, {
      port: 0,
      host: '127.0.0.1',
      logger: quietLogger(),
      onShutdown: [async () => void events.push('pool closed')],
    });

    const inFlight = fetch(`${running.url}/slow`).then(async (r) => ({ status: r.status, body: await r.json() }));
    await waitFor(() => events.includes('slow started'), { what: 'the slow request to start' });
    const closing = running.close();
    expect(await fetch(`${running.url}/healthz`).then(() => 'answered', () => 'refused')).toBe('refused');
    expect(events).not.toContain('pool closed');

    release();
    expect(await inFlight).toEqual({ status: 200, body: { finished: true } });
    await closing;
    expect(events).toEqual(['slow started', 'pool closed']);
  });

  it('cuts connections that outlive the shutdown timeout', async () => {
    let entered = false;
    const app = createServiceApp({ logger: quietLogger(), readiness: {} }, (router) => {
      resource(router, '/never', {
        get: () => {
          entered = true;
          return new Promise(() => undefined);
        },
      });
    });
    const running = await serve(app, { port: 0, host: '127.0.0.1', logger: quietLogger(), shutdownTimeoutMs: 100 });
    const stuck = fetch(`${running.url}/never`).then(() => 'answered', () => 'cut');
    await waitFor(() => entered, { what: 'the request to reach its handler' });
    await running.close();
    expect(await stuck).toBe('cut');
  });

  it('reports a port in use clearly', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    const app = createServiceApp({ logger: quietLogger(), readiness: {} }, () => undefined);
    await expect(serve(app, { port, host: '127.0.0.1', logger: quietLogger() })).rejects.toBeInstanceOf(PortInUse);
    await new Promise((resolve) => blocker.close(resolve));
  });
});

describe('upstreamFetch', () => {
  it('passes the current request id to the service it calls', async () => {
    const seen: Array<string | undefined> = [];
    const upstream = createServer((req, res) => {
      seen.push(req.headers['x-request-id'] as string | undefined);
      res.end('ok');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const { port } = upstream.address() as AddressInfo;
    try {
      await withRequestId('trace-1', async () => (await upstreamFetch(`http://127.0.0.1:${port}/`)).text());
      await (await upstreamFetch(`http://127.0.0.1:${port}/`)).text();
      expect(seen[0]).toBe('trace-1');
      expect(seen[1]).toBeUndefined();
    } finally {
      await new Promise((resolve) => upstream.close(resolve));
    }
  });
});
