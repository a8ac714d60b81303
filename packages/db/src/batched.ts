export interface BatchOptions {
  /** The most inputs in one batch. */
  maxBatch?: number;
  /** Batches running at once; calls made while this many run wait for the next. */
  maxInFlight?: number;
  /**
   * Whether a failed batch may have failed because of one of its inputs, so that trying each alone
   * lets the others through. By default PostgreSQL's data and integrity errors (SQLSTATE classes 22
   * and 23); anything else (the server is away, a timeout) fails the whole batch at once rather
   * than as many single round trips, all doomed, as it had inputs.
   */
  inputError?: (error: unknown) => boolean;
}

/** PostgreSQL's errors caused by the data sent: a bad value (22xxx) or a broken constraint (23xxx). */
const postgresInputError = (error: unknown): boolean => /^2[23][0-9A-Z]{3}$/.test(String((error as { code?: unknown }).code ?? ''));

interface Call<I, O> {
  input: I;
  resolve: (output: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Turns a function of many inputs (one round trip: a multi-row INSERT, an `= ANY(...)` UPDATE, a
 * queue's addBulk) into a function of one, gathering the calls that arrive together. A call made
 * when nothing is running goes at once (with whatever arrived in the same tick): idle, nothing
 * waits; under load, the calls that arrive while a batch runs share the next round trip, so the
 * round trips per item fall as the load grows.
 *
 * `run` returns one output per input, in the same order. If a batch of several fails with an error
 * one input may have caused (`inputError`), each of its inputs is tried again alone, so that one
 * bad input fails only its own call; any other failure fails the whole batch.
 */
export function batched<I, O>(run: (inputs: readonly I[]) => Promise<readonly O[]>, { maxBatch = 200, maxInFlight = 1, inputError = postgresInputError }: BatchOptions = {}): (input: I) => Promise<O> {
  const waiting: Array<Call<I, O>> = [];
  let inFlight = 0;
  let flushQueued = false;

  const settle = async (batch: Array<Call<I, O>>) => {
    try {
      const outputs = await run(batch.map((call) => call.input));
      if (outputs.length !== batch.length) throw new Error(`a batch of ${batch.length} gave ${outputs.length} results`);
      batch.forEach((call, i) => call.resolve(outputs[i] as O));
    } catch (error) {
      if (batch.length === 1 || !inputError(error)) return batch.forEach((call) => call.reject(error));
      await Promise.all(batch.map((call) => settle([call])));
    }
  };

  const flush = () => {
    flushQueued = false;
    while (inFlight < maxInFlight && waiting.length > 0) {
      const batch = waiting.splice(0, maxBatch);
      inFlight++;
      void settle(batch).finally(() => {
        inFlight--;
        flush();
      });
    }
  };

  return (input) =>
    new Promise<O>((resolve, reject) => {
      waiting.push({ input, resolve, reject });
      if (!flushQueued && inFlight < maxInFlight) {
        flushQueued = true;
        queueMicrotask(flush);
      }
    });
}
