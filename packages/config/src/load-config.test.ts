import { describe, expect, it } from '@jest/globals';
import { ConfigError, httpServiceVariables, httpUrl, loadConfig, storeVariables, z } from './index.js';

const schema = z.object({
  ...httpServiceVariables(4002),
  ...storeVariables(),
  PAYMENTS_URL: httpUrl(),
});

const complete = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/tamkeen_payments',
  REDIS_URL: 'redis://127.0.0.1:6379',
  PAYMENTS_URL: 'http://127.0.0.1:4002/',
};

function problemsOf(env: Record<string, string>) {
  try {
    loadConfig('payments', schema, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('returns typed values with defaults filled in', () => {
    const config = loadConfig('payments', schema, complete);
    expect(config.PORT).toBe(4002);
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.PAYMENTS_URL).toBe('http://127.0.0.1:4002');
  });

  it('coerces numbers from the environment', () => {
    expect(loadConfig('payments', schema, { ...complete, PORT: '9000' }).PORT).toBe(9000);
  });

  it('names a missing variable', () => {
    const { DATABASE_URL: _omitted, ...env } = complete;
    const error = problemsOf(env);
    expect(error.problems).toEqual([{ variable: 'DATABASE_URL', reason: 'is required but not set' }]);
    expect(error.message).toMatch(/^payments cannot start/);
    expect(error.message).toContain('DATABASE_URL: is required but not set');
  });

  it('treats an empty variable as missing', () => {
    expect(problemsOf({ ...complete, REDIS_URL: '' }).problems[0]?.variable).toBe('REDIS_URL');
  });

  it('names every malformed variable at once, without echoing values', () => {
    const error = problemsOf({
      ...complete,
      PORT: '80a',
      DATABASE_URL: 'mysql://root:s3cret@db/x',
      LOG_LEVEL: 'loud',
    });
    expect(error.problems.map((p) => p.variable).sort()).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PORT']);
    expect(error.message).toContain('PORT: must be a port number (1-65535, or 0 for any free port)');
    expect(error.message).toContain('DATABASE_URL: must be a URL (postgres://... or postgresql://...)');
    expect(error.message).not.toContain('s3cret');
  });

  it('rejects a port out of range', () => {
    expect(problemsOf({ ...complete, PORT: '70000' }).problems[0]?.reason).toMatch(/port number/);
  });
});
