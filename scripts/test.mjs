#!/usr/bin/env node
// `npm test`: install if needed, build and typecheck, run every workspace's tests against the real
// PostgreSQL and Redis, and end with one line: `tests: N passed, N failed`.
// Extra arguments go to Jest: npm test -- services/gateway, npm test -- -t 'readiness'.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defaultDatabaseUrl, defaultRedisUrl, requireStores } from './lib/preflight.mjs';
import { build, ensureInstalled, root, whenSetupFails } from './lib/workspace.mjs';

const setupFailed = () => process.stdout.write('\ntests: 0 passed, 1 failed\n');
whenSetupFails(setupFailed);
ensureInstalled();
build(['build', 'typecheck']);

const databaseUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? defaultDatabaseUrl;
const redisUrl = process.env.REDIS_URL ?? defaultRedisUrl;
await requireStores(databaseUrl, redisUrl, setupFailed);
// The browser test drives Debian's Chromium; say so up front rather than in a launch error.
if (!existsSync('/usr/bin/chromium')) {
  process.stderr.write('Note: /usr/bin/chromium is missing, so the browser test (e2e) will fail. Install it with: sudo apt-get install -y chromium\n');
}

// Databases left by an interrupted earlier run (their process is gone) are dropped first.
const { dropAbandonedTestDatabases } = await import(pathToFileURL(join(root, 'packages', 'db', 'dist', 'testing.js')).href);
const abandoned = await dropAbandonedTestDatabases(databaseUrl);
if (abandoned.length) process.stdout.write(`Dropped ${abandoned.length} test database(s) left by an interrupted run.\n`);

// Ctrl-C reaches Jest too; this process waits for it and still prints the summary.
process.on('SIGINT', () => undefined);

const results = join(root, '.test-results.json');
rmSync(results, { force: true });
const jest = spawnSync(
  process.execPath,
  ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning', join(root, 'node_modules', 'jest', 'bin', 'jest.js'), '--json', `--outputFile=${results}`, ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit', env: { ...process.env, TEST_DATABASE_URL: databaseUrl, REDIS_URL: redisUrl } },
);

let passed = 0;
let failed = 1;
if (existsSync(results)) {
  const summary = JSON.parse(readFileSync(results, 'utf8'));
  passed = summary.numPassedTests;
  // A test file that cannot even run counts as a failure, not as nothing.
  failed = summary.numFailedTests + summary.numRuntimeErrorTestSuites;
}
// Jest failing without a failed test (no test matched, a crash) still counts as a failure.
if (jest.status !== 0 && failed === 0) failed = 1;
process.stdout.write(`\ntests: ${passed} passed, ${failed} failed\n`);
process.exit(jest.status === 0 && failed === 0 ? 0 : 1);
