import type { EventEmitter } from 'node:events';

export function jestPreset(configUrl: string, overrides?: Record<string, unknown>): Record<string, unknown>;

export function waitFor<T>(
  probe: () => T | Promise<T>,
  options?: { timeoutMs?: number; intervalMs?: number; what?: string },
): Promise<Exclude<T, undefined | false>>;

export function nextEvent(emitter: EventEmitter, event: string, timeoutMs?: number): Promise<unknown>;

export function logCapture(): {
  destination: { write(line: string): void };
  lines: Array<Record<string, any>>;
  text(): string;
};
