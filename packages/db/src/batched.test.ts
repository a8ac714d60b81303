import { describe, expect, it } from '@jest/globals';
import { batched } from './batched.js';

/** A stand-in round trip that records the batches it was given and answers when told to. */
function recordingRun({ down = false } = {}) {
  const batches: number[][] = [];
  const pending: Array<() => void> = [];
  const run = (inputs: readonly number[]) => {
    batches.push([...inputs]);
    return new Promise<number[]>((resolve, reject) =>
      pending.push(() =>
        down
          ? reject(Object.assign(new Error('connection terminated'), { code: '57P01' }))
          : inputs.includes(13)
            ? reject(Object.assign(new Error('13 is refused'), { code: '23514' }))
            : resolve(inputs.map((n) => n * 10)),
      ),
    );
  };
  const answerAll = async () => {
    while (pending.length) {
      pending.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { run, batches, answerAll };
}

describe('batched', () => {
  it('sends a lone call at once, and gathers the calls that arrive while it runs into the next batch', async () => {
    const { run, batches, answerAll } = recordingRun();
    const call = batched(run);
    const first = call(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1]]);
    const later = [call(2), call(3), call(4)];
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1]]);
    await answerAll();
    expect(await first).toBe(10);
    expect(await Promise.all(later)).toEqual([20, 30, 40]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('keeps batches within maxBatch', async () => {
    const { run, batches, answerAll } = recordingRun();
    const call = batched(run, { maxBatch: 2 });
    const all = Promise.all([1, 2, 3, 4, 5].map(call));
    await new Promise((resolve) => setImmediate(resolve));
    await answerAll();
    expect(await all).toEqual([10, 20, 30, 40, 50]);
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('fails only the call whose input was refused: the rest of its batch is tried again alone', async () => {
    const { run, answerAll } = recordingRun();
    const call = batched(run);
    const results = Promise.allSettled([11, 12, 13, 14].map(call));
    for (let i = 0; i < 10; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      await answerAll();
    }
    expect((await results).map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([110, 120, '13 is refused', 140]);
  });

  it('fails a whole batch at once when no input can be the cause (the server is away), without a round trip per input', async () => {
    const { run, batches, answerAll } = recordingRun({ down: true });
    const call = batched(run);
    const first = call(1).catch((error: Error) => error.message);
    await new Promise((resolve) => setImmediate(resolve));
    const rest = Promise.all([2, 3, 4].map((n) => call(n).catch((error: Error) => error.message)));
    for (let i = 0; i < 10; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      await answerAll();
    }
    expect([await first, ...(await rest)]).toEqual(Array(4).fill('connection terminated'));
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });
});
