import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}

type Behaviour = (req: IncomingMessage, res: ServerResponse) => void;

/** A stand-in service for proxy tests: ready, echoes requests, and does what a test tells it at a path. */
export class TestUpstream {
  readonly seen: SeenRequest[] = [];
  readonly behaviours = new Map<string, Behaviour>();
  private server: Server | undefined;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      this.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      const path = (req.url ?? '').split('?')[0] ?? '';
      const behaviour = this.behaviours.get(path);
      if (behaviour) return behaviour(req, res);
      if (path === '/readyz') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ready"}');
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
        res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}

/** A port on which nothing listens (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const probe = await new TestUpstream().start();
  const { port } = probe;
  await probe.stop();
  return port;
}
