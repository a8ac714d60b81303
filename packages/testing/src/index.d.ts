import type { EventEmitter } from 'node:events';

export function jestPreset(configUrl: string, overrides?: Record<string, unknown>): Record<string, unknown>;

export function waitFor<T>(
  probe: () => T | Promise<T>,
  options?: { timeoutMs?: number; intervalMs?: number; what?: string },
): Promise<Exclude<T, undefined | false>>;

export function nextEvent(emitter: EventEmitter, event: string, timeoutMs?: number): Promise<unknown>;

export function logCapture(): {
  destination: { write(line: string): void };
  // Log lines are whatever JSON the code wrote; tests read them freely.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  lines: Array<Record<string, any>>;
  text(): string;
};

/** The ways `value` breaks the schema at `pointer` of `openapi/<specFile>`; empty when it conforms. */
export function schemaViolations(specFile: string, pointer: string, value: unknown): string[];
