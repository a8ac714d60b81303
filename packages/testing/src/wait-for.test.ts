import { EventEmitter } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import { nextEvent, waitFor } from './index.js';

describe('waitFor', () => {
  it('resolves with the first truthy value the probe returns', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? 'ready' : undefined), { intervalMs: 1 });
    expect(value).toBe('ready');
    expect(calls).toBe(3);
  });

  it('keeps waiting while the probe answers null (a column not filled yet)', async () => {
    let calls = 0;
    expect(await waitFor(() => (++calls >= 2 ? 'SM1' : null), { intervalMs: 1 })).toBe('SM1');
    expect(calls).toBe(2);
  });

  it('names what it waited for and the last error when the deadline passes', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('still down');
        },
        { timeoutMs: 30, intervalMs: 5, what: 'payments to be ready' },
      ),
    ).rejects.toThrow(/payments to be ready: still down/);
  });
});

describe('nextEvent', () => {
  it('resolves with the argument of the event', async () => {
    const emitter = new EventEmitter();
    const pending = nextEvent(emitter, 'done');
    emitter.emit('done', 42);
    await expect(pending).resolves.toBe(42);
  });

  it('rejects when the event does not come in time', async () => {
    await expect(nextEvent(new EventEmitter(), 'never', 10)).rejects.toThrow(/'never'/);
  });
});

describe('schemaViolations', () => {
  it('accepts a problem that has every required member, and names what a broken one lacks', async () => {
    const { schemaViolations } = await import('./index.js');
    const problem = { type: 'https://tamkeen.dev/problems/not-found', title: 'Not Found', status: 404, detail: 'Nothing here.', code: 'not_found' };
    expect(schemaViolations('platform.yaml', '#/components/schemas/Problem', problem)).toEqual([]);
    const { detail: _detail, ...broken } = problem;
    expect(schemaViolations('platform.yaml', '#/components/schemas/Problem', { ...broken, status: 200 })).toEqual(
      expect.arrayContaining([expect.stringMatching(/detail/), expect.stringMatching(/\/status/)]),
    );
  });
});
