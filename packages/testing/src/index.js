// The Jest preset every workspace shares, and the few aids tests need to wait for work without sleeping.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Jest configuration for a workspace: ESM, TypeScript through SWC, tests next to the code.
 * @param {string} configUrl import.meta.url of the workspace's jest.config.js
 * @param {Record<string, unknown>} [overrides]
 */
export function jestPreset(configUrl, overrides = {}) {
  const rootDir = dirname(fileURLToPath(configUrl));
  const { name } = JSON.parse(readFileSync(join(rootDir, 'package.json'), 'utf8'));
  return {
    rootDir,
    displayName: name,
    testEnvironment: 'node',
    extensionsToTreatAsEsm: ['.ts'],
    transform: {
      '^.+\\.ts$': [
        '@swc/jest',
        {
          jsc: { parser: { syntax: 'typescript' }, target: 'es2022', keepClassNames: true },
          module: { type: 'es6' },
          sourceMaps: 'inline',
        },
      ],
    },
    // Sources import siblings with NodeNext's `.js` suffix; Jest resolves them to the `.ts` files.
    moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
    testMatch: ['<rootDir>/src/**/*.test.ts'],
    testTimeout: 30_000,
    ...overrides,
  };
}

/**
 * Polls `probe` until it returns a value other than undefined, null or false, or throws after the deadline.
 * @template T
 * @param {() => T | Promise<T>} probe
 * @param {{ timeoutMs?: number, intervalMs?: number, what?: string }} [options]
 * @returns {Promise<Exclude<T, undefined | null | false>>}
 */
export async function waitFor(probe, { timeoutMs = 5_000, intervalMs = 20, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return /** @type {any} */ (value);
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${reason}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Resolves with the first emission of `event` on `emitter`, or rejects after the deadline.
 * @param {import('node:events').EventEmitter} emitter
 * @param {string} event
 * @param {number} [timeoutMs]
 */
export function nextEvent(emitter, event, timeoutMs = 5_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, onEvent);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for '${event}'`));
    }, timeoutMs);
    function onEvent(/** @type {unknown[]} */ ...args) {
      clearTimeout(timer);
      resolve(args.length > 1 ? args : args[0]);
    }
    emitter.once(event, onEvent);
  });
}

/**
 * A destination for a pino logger that keeps each JSON line, so a test can assert what was logged.
 * @returns {{ destination: { write(line: string): void }, lines: Array<Record<string, any>>, text(): string }}
 */
export function logCapture() {
  /** @type {Array<Record<string, any>>} */
  const lines = [];
  /** @type {string[]} */
  const raw = [];
  return {
    destination: {
      write(line) {
        raw.push(line);
        for (const part of line.split('\n')) if (part.trim()) lines.push(JSON.parse(part));
      },
    },
    lines,
    text: () => raw.join(''),
  };
}
export { schemaViolations } from './openapi.js';
export { startTestIssuer } from './test-issuer.js';
export { freePort } from './free-port.js';
export { runBuiltFile, startBuiltService } from './built-service.js';
export { testBrowser } from './test-browser.js';
