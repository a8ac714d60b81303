import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

// The built entry point, as `npm start` and the container run it.
const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

function runMain(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [main], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('gateway main', () => {
  it('refuses to start without its configuration, naming every missing or malformed variable', async () => {
    const { code, output } = await runMain({ PORT: 'eighty', REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(code).toBe(78);
    expect(output).toContain('gateway cannot start');
    for (const variable of ['DATABASE_URL: is required', 'IDENTITY_URL: is required', 'PAYMENTS_URL', 'NOTIFICATIONS_URL', 'PORT: must be a port number']) {
      expect(output).toContain(variable);
    }
    expect(output).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('says plainly when its port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      const { code, output } = await runMain({
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
        REDIS_URL: 'redis://127.0.0.1:6379',
        IDENTITY_URL: 'http://127.0.0.1:1',
        PAYMENTS_URL: 'http://127.0.0.1:1',
        NOTIFICATIONS_URL: 'http://127.0.0.1:1',
      });
      expect(code).toBe(1);
      expect(output).toContain(`port ${port} is already in use`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
