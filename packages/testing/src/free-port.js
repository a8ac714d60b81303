import { createServer } from 'node:net';

/**
 * A TCP port nothing listens on right now, for a service started by a test or a benchmark
 * (which needs the number before it starts). `avoid` skips ports others expect to take.
 * @param {{ avoid?: ReadonlySet<number> }} [options]
 * @returns {Promise<number>}
 */
export async function freePort({ avoid = new Set() } = {}) {
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port: taken } = /** @type {import('node:net').AddressInfo} */ (server.address());
        server.close(() => resolve(taken));
      });
    });
    if (!avoid.has(port)) return port;
  }
}
