// The services a benchmark starts from their build, and the SQL it runs against the server.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** One statement on a fresh connection to the server (creating and dropping databases). */
export async function serverSql(serverUrl, text) {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

/**
 * The services of one bench run. `start` launches a built entry point with its standard output
 * sent to /dev/null (writing the log lines is part of the cost measured; a reader of them is not)
 * and waits until `<healthUrl>/healthz` answers. BENCH_CPU_PROF=1 profiles every service,
 * BENCH_CPU_PROF=worker,sandbox the ones named, into `profileDir`.
 */
export function benchServices(profileDir) {
  const children = [];
  return {
    children,
    async start(name, file, env, healthUrl) {
      const profiled = process.env.BENCH_CPU_PROF === '1' || (process.env.BENCH_CPU_PROF ?? '').split(',').includes(name);
      const profile = profiled ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`] : [];
      const child = spawn(process.execPath, [...profile, join(root, file)], { env: { PATH: process.env.PATH, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
      child.benchName = name;
      children.push(child);
      const deadline = Date.now() + 30_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}) before it was ready`);
        if ((await fetch(`${healthUrl}/healthz`).catch(() => undefined))?.ok) return healthUrl;
        if (Date.now() > deadline) throw new Error(`${name} was not ready within 30 s`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    /** SIGTERM, then SIGKILL for any that has not stopped within 10 s (saying which: a shutdown that hangs is a bug). */
    async stopAll() {
      await Promise.all(
        children.map(
          (child) =>
            new Promise((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              const kill = setTimeout(() => {
                process.stderr.write(`${child.benchName} did not stop within 10 s of SIGTERM; killed\n`);
                child.kill('SIGKILL');
              }, 10_000);
              child.once('exit', () => (clearTimeout(kill), resolve()));
              child.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}
