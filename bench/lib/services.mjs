// The services a benchmark starts from their build.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBuiltService } from '@tamkeen/testing';
import { services as platformServices } from '../../scripts/lib/services.mjs';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The services of one bench run. `start` launches a built entry point (startBuiltService of
 * @tamkeen/testing) with its standard output sent to /dev/null (writing the log lines is part of the
 * cost measured; a reader of them is not) and waits until `<healthUrl>/healthz` answers.
 * BENCH_CPU_PROF=1 profiles every service, BENCH_CPU_PROF=worker,sandbox the ones named, into
 * `profileDir`. `children` are their processes (each with its `benchName`), for CPU readings.
 * A service runs with the V8 options npm start gives it (scripts/lib/services.mjs `nodeOptions`).
 */
export function benchServices(profileDir) {
  const children = [];
  const running = [];
  return {
    children,
    async start(name, file, env, healthUrl) {
      const profiled = process.env.BENCH_CPU_PROF === '1' || (process.env.BENCH_CPU_PROF ?? '').split(',').includes(name);
      const nodeOptions = platformServices.find((service) => service.name === name)?.nodeOptions?.split(' ') ?? [];
      const nodeArgs = [...nodeOptions, ...(profiled ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`] : [])];
      const service = await startBuiltService({ name, file: join(root, file), env: { PATH: process.env.PATH, LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info', ...env }, healthUrl, nodeArgs, stdio: ['ignore', 'ignore', 'inherit'], timeoutMs: 30_000 });
      service.child.benchName = name;
      children.push(service.child);
      running.push(service);
      return healthUrl;
    },
    /** SIGTERM, then SIGKILL for any that has not stopped within 10 s (saying which: a shutdown that hangs is a bug). */
    async stopAll() {
      await Promise.all(running.map((service) => service.stop()));
    },
  };
}
