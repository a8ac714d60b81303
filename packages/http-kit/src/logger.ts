import pino, { type DestinationStream, type Logger } from 'pino';
import { currentRequestId } from './request-context.js';

export type { Logger };

// Never logged: credentials, one-time codes, card numbers, national ID numbers, personal contact data.
const SENSITIVE_KEYS = [
  'authorization',
  'cookie',
  'password',
  'passcode',
  'otp',
  'one_time_code',
  'verification_code',
  'secret',
  'client_secret',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'card_number',
  'cardNumber',
  'pan',
  'cvc',
  'national_id',
  'nationalId',
  'national_id_number',
];

// Top level and one level down (`{ citizen: { nationalId } }`), plus the header paths by name.
// Each path costs time on every line, so deeper wildcards are not used: log flat objects.
export const REDACTED_PATHS = [
  ...SENSITIVE_KEYS,
  ...SENSITIVE_KEYS.map((key) => `*.${key}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
];

export interface LoggerOptions {
  service: string;
  level?: string;
  /** Where lines go; standard output unless a test passes a stream. */
  destination?: DestinationStream;
}

/** A pino logger for one service: JSON lines carrying the service name and, within a request, its id. */
export function createLogger({ service, level = 'info', destination }: LoggerOptions): Logger {
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      mixin() {
        const requestId = currentRequestId();
        return requestId === undefined ? {} : { requestId };
      },
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: serializeError },
    },
    destination,
  );
}

const SENSITIVE_QUERY = new Set(SENSITIVE_KEYS.map((key) => key.toLowerCase()).concat(['code', 'state', 'nonce', 'code_verifier', 'login_hint', 'id_token_hint', 'payment_intent_client_secret']));

/** A path segment shaped like a national ID number (nine digits). */
const NATIONAL_ID_SEGMENT = /\/[0-9\u0660-\u0669\u06f0-\u06f9]{9}(?=\/|\?|$)/g;

/**
 * The URL with the values of sensitive query parameters (OAuth codes, tokens...) replaced, and any
 * path segment shaped like a national ID number (nine digits) too: they are never logged.
 */
export function redactUrl(url: string): string {
  url = url.replace(NATIONAL_ID_SEGMENT, '/redacted');
  const queryStart = url.indexOf('?');
  if (queryStart < 0) return url;
  const params = new URLSearchParams(url.slice(queryStart + 1));
  let changed = false;
  for (const key of new Set(params.keys())) {
    if (SENSITIVE_QUERY.has(key.toLowerCase())) {
      params.set(key, 'redacted');
      changed = true;
    }
  }
  return changed ? `${url.slice(0, queryStart)}?${params.toString()}` : url;
}

interface SerializedError {
  type: string;
  message: string;
  stack?: string;
  code?: string;
  constraint?: string;
  table?: string;
  column?: string;
  status?: number;
  cause?: SerializedError;
}

/**
 * Errors are logged by what they are, never by what they carry: PostgreSQL's `detail` repeats the
 * offending values (`Key (national_id)=(...) already exists`), and other libraries attach requests,
 * bodies or parameters. Only these fields are kept.
 */
export function serializeError(error: unknown, depth = 0): SerializedError {
  if (!(error instanceof Error)) return { type: typeof error, message: String(error).slice(0, 200) };
  const fields = error as Error & { code?: unknown; constraint?: unknown; table?: unknown; column?: unknown; status?: unknown };
  const serialized: SerializedError = { type: error.constructor?.name ?? error.name, message: error.message, stack: error.stack };
  if (typeof fields.code === 'string') serialized.code = fields.code;
  if (typeof fields.constraint === 'string') serialized.constraint = fields.constraint;
  if (typeof fields.table === 'string') serialized.table = fields.table;
  if (typeof fields.column === 'string') serialized.column = fields.column;
  if (typeof fields.status === 'number') serialized.status = fields.status;
  if (error.cause !== undefined && depth < 3) serialized.cause = serializeError(error.cause, depth + 1);
  return serialized;
}
