// Installing and building the workspace, for `npm start` and `npm test` on a fresh clone.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

let onFailure = () => undefined;

/** Something to print before exiting when install or build fails (npm test prints its summary line). */
export function whenSetupFails(callback) {
  onFailure = callback;
}

function run(command, args, what) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { TURBO_TELEMETRY_DISABLED: '1', ...process.env } });
  if (result.status !== 0) {
    process.stderr.write(`\n${what} failed (exit ${result.status ?? result.signal}); see the output above.\n`);
    onFailure();
    process.exit(result.status || 1);
  }
}

/** Installs dependencies when node_modules is missing or older than the lock file. */
export function ensureInstalled() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  process.stdout.write('Installing dependencies (npm ci)...\n');
  run('npm', ['ci', '--no-audit', '--no-fund'], 'Installing dependencies');
}

/** Builds every workspace (Turborepo skips what has not changed). */
export function build(tasks = ['build']) {
  process.stdout.write(`Building (${tasks.join(', ')})...\n`);
  run(join(root, 'node_modules', '.bin', 'turbo'), ['run', ...tasks, '--output-logs=errors-only'], 'The build');
}
