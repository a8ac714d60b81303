// Free ports for the services a benchmark starts, never those `npm start` uses (a bench can run
// next to the platform).
import { createServer } from 'node:net';

const PLATFORM_PORTS = new Set([2525, 4001, 4002, 4003, 4004, 4005, 4013, 8080]);

/** A port nothing listens on right now (and not one `npm start` uses). */
export async function freePort() {
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port: taken } = server.address();
        server.close(() => resolve(taken));
      });
    });
    if (!PLATFORM_PORTS.has(port)) return port;
  }
}
