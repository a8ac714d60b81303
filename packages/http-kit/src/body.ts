import express, { type RequestHandler } from 'express';

/** JSON bodies up to `limit`; a larger one is a 413 problem and a malformed one a 400, through the funnel. */
export function jsonBody(limit: string): RequestHandler {
  return express.json({ limit, type: ['application/json', 'application/*+json'], strict: true });
}

/** Form bodies (OAuth and HTML forms) up to `limit`. */
export function formBody(limit: string): RequestHandler {
  return express.urlencoded({ limit, extended: false, parameterLimit: 100 });
}
