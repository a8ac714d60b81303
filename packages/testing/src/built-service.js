import { spawn } from 'node:child_process';
import { waitFor } from './index.js';

/**
 * A service started from its build (`node <file>`) by a test, the e2e platform or a benchmark:
 * ready once `<healthUrl>/healthz` answers (failing at once if it exits first), never outliving
 * the process that started it (killed on exit, even when a timed-out hook never calls stop()),
 * and stopped with SIGTERM, then SIGKILL if it has not stopped within `stopTimeoutMs` (saying so:
 * a shutdown that hangs is a bug).
 * @param {{ name: string, file: string, env: Record<string, string | undefined>, healthUrl: string,
 *   nodeArgs?: string[], stdio?: import('node:child_process').StdioOptions, timeoutMs?: number, stopTimeoutMs?: number }} options
 */
export async function startBuiltService({ name, file, env, healthUrl, nodeArgs = [], stdio = 'ignore', timeoutMs = 20_000, stopTimeoutMs = 10_000 }) {
  const child = spawn(process.execPath, [...nodeArgs, file], { env, stdio });
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr = (stderr + chunk.toString()).slice(-2_000)));
  const orphanGuard = () => child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  const stop = () =>
    new Promise((resolve) => {
      process.off('exit', orphanGuard);
      if (child.exitCode !== null || child.signalCode !== null) return resolve(undefined);
      const kill = setTimeout(() => {
        process.stderr.write(`${name} did not stop within ${stopTimeoutMs / 1000} s of SIGTERM; killed\n`);
        child.kill('SIGKILL');
      }, stopTimeoutMs);
      child.once('exit', () => (clearTimeout(kill), resolve(undefined)));
      child.kill('SIGTERM');
    });
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}) before it was ready (is it built?) ${stderr.slice(-500)}`);
        return (await fetch(`${healthUrl}/healthz`).catch(() => undefined))?.ok;
      },
      { what: `${name} to answer ${healthUrl}/healthz ${stderr.slice(-300)}`, timeoutMs, intervalMs: 50 },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { child, url: healthUrl, stderr: () => stderr, stop };
}

/**
 * Runs a built file to its end (a migration, an operator command) and gives its standard output;
 * a non-zero exit rejects with its standard error.
 * @param {string} file @param {string[]} args @param {Record<string, string | undefined>} env
 * @returns {Promise<string>}
 */
export function runBuiltFile(file, args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c.toString()));
    child.stderr.on('data', (c) => (err += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${file} exited ${code} (is it built?): ${err.slice(0, 500)}`))));
  });
}
