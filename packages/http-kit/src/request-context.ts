import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

interface RequestContext {
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

// A caller's id is kept only if it is short and plain, so it cannot forge log lines or headers.
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

export function acceptRequestId(candidate: string | string[] | undefined): string {
  const value = Array.isArray(candidate) ? candidate[0] : candidate;
  return value !== undefined && ACCEPTABLE_REQUEST_ID.test(value) ? value : randomUUID();
}

declare module 'http' {
  interface IncomingMessage {
    /** The request id: the caller's `X-Request-Id` when acceptable, otherwise a new UUID. */
    id: string;
  }
}

/** Takes `X-Request-Id` or makes one, echoes it on the response and makes it current for the rest of the request. */
/** Works on bare Node requests too (the gateway's proxy path does not go through Express). */
export type PlainMiddleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

export function requestId(): PlainMiddleware {
  return (req, res, next) => {
    const id = acceptRequestId(req.headers[REQUEST_ID_HEADER]);
    req.id = id;
    res.setHeader('X-Request-Id', id);
    storage.run({ requestId: id }, next);
  };
}

/** The id of the request being served, if any: logs and upstream calls pick it up from here. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

/** Runs `work` as part of request `id` (for jobs and workers that continue a request's work). */
export function withRequestId<T>(id: string, work: () => T): T {
  return storage.run({ requestId: id }, work);
}
