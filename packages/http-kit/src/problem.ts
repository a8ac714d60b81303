import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { BadRequest, HttpError, InternalError, NotFound, PayloadTooLarge, UnsupportedMediaType } from './errors.js';
import { currentRequestId } from './request-context.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';
const PROBLEM_TYPE_BASE = 'https://tamkeen.dev/problems/';

/** An RFC 9457 problem object, with the request id and, for bad input, the fields that were wrong. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  code: string;
  request_id?: string;
  invalid_params?: Array<{ name: string; reason: string }>;
  [extension: string]: unknown;
}

export function problemOf(error: HttpError, instance?: string, requestId?: string): Problem {
  const problem: Problem = {
    type: `${PROBLEM_TYPE_BASE}${error.code.replace(/_/g, '-')}`,
    title: STATUS_CODES[error.status] ?? 'Error',
    status: error.status,
    detail: error.expose ? error.detail : 'Something went wrong on our side. Quote the request id if you report it.',
    code: error.code,
    ...error.extensions,
  };
  if (instance !== undefined) problem.instance = instance;
  if (requestId !== undefined) problem.request_id = requestId;
  if (error.invalidParams?.length) problem.invalid_params = error.invalidParams;
  return problem;
}

/** Writes `error` as application/problem+json. Works on a bare Node response too (the gateway's proxy uses it). */
export function sendProblem(req: { originalUrl?: string; url?: string; id?: string }, res: Response | ServerResponse, error: HttpError): void {
  const path = (req.originalUrl ?? req.url ?? '').split('?')[0];
  const body = JSON.stringify(problemOf(error, path, req.id ?? currentRequestId()));
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res.statusCode = error.status;
  res.setHeader('Content-Type', PROBLEM_CONTENT_TYPE);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('Cache-Control', 'no-store');
  res.end(body);
}

/** Anything thrown, turned into the HttpError it should be answered with. */
export function asHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  const parserError = error as { type?: string; status?: number; expose?: boolean };
  switch (parserError.type) {
    case 'entity.too.large':
      return new PayloadTooLarge();
    case 'entity.parse.failed':
      return new BadRequest('The request body is not well-formed JSON.', { code: 'malformed_body' });
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new UnsupportedMediaType('The request body uses an unsupported encoding or charset.');
    case 'request.aborted':
      return new BadRequest('The request was aborted before its body arrived.', { code: 'request_aborted' });
    default:
      break;
  }
  if (typeof parserError.status === 'number' && parserError.status >= 400 && parserError.status < 500 && parserError.expose) {
    return new HttpError(parserError.status, 'bad_request', String((error as Error).message));
  }
  return new InternalError(undefined, { cause: error });
}

/** The single error funnel: every error a route throws leaves the service as problem+json. */
export function problemFunnel(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const httpError = asHttpError(error);
    // Deliberate answers (501, 502, 504...) are in the request's log line; only the unexpected gets a stack.
    if (!httpError.expose) logger.error({ err: httpError.cause ?? httpError, requestId: req.id }, 'unhandled error');
    sendProblem(req, res, httpError);
  };
}

/** The last route: whatever nothing else answered is a 404 problem. */
export function notFound(): RequestHandler {
  return (req, res) => sendProblem(req, res, new NotFound(`There is nothing at ${req.method} ${req.path}.`));
}
