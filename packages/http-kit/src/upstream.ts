import { currentRequestId } from './request-context.js';

export interface UpstreamInit extends RequestInit {
  /** Abort the call after this long (default 5 s). */
  timeoutMs?: number;
}

/** The headers every call to another service carries: the current request id, so one id follows a request everywhere. */
export function propagationHeaders(): Record<string, string> {
  const id = currentRequestId();
  return id === undefined ? {} : { 'X-Request-Id': id };
}

/** fetch for service-to-service calls: carries the request id and gives up after a deadline. */
export function upstreamFetch(url: string | URL, { timeoutMs = 5_000, headers, signal, ...init }: UpstreamInit = {}): Promise<Response> {
  const merged = new Headers(headers);
  for (const [name, value] of Object.entries(propagationHeaders())) if (!merged.has(name)) merged.set(name, value);
  const deadline = AbortSignal.timeout(timeoutMs);
  return fetch(url, { ...init, headers: merged, signal: signal ? AbortSignal.any([signal, deadline]) : deadline });
}
