/** A field that was wrong, as RFC 9457's `invalid-params` extension names it. */
export interface InvalidParam {
  name: string;
  reason: string;
}

export interface HttpErrorOptions {
  /** Human-readable explanation of this occurrence, shown to the caller (RFC 9457 `detail`). */
  detail?: string;
  /** A short machine-readable code (`error`, as OAuth and node-oidc-provider use it). */
  code?: string;
  invalidParams?: InvalidParam[];
  /** Response headers the error needs (Allow, Retry-After, WWW-Authenticate...). */
  headers?: Record<string, string>;
  /** Further members of the problem object. */
  extensions?: Record<string, unknown>;
  /** Whether `detail` may be shown to the caller; by default only for 4xx. */
  expose?: boolean;
  cause?: unknown;
}

/**
 * An error that becomes an HTTP answer. `expose` says whether `detail` may be shown to the caller:
 * 4xx errors are the caller's to see, 5xx details are logged and replaced by a generic sentence.
 */
export class HttpError extends Error {
  readonly status: number;
  readonly expose: boolean;
  readonly code: string;
  readonly detail: string;
  readonly invalidParams: InvalidParam[] | undefined;
  readonly headers: Record<string, string>;
  readonly extensions: Record<string, unknown>;

  constructor(status: number, code: string, detail: string, options: Omit<HttpErrorOptions, 'detail' | 'code'> = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.status = status;
    this.expose = options.expose ?? status < 500;
    this.code = code;
    this.detail = detail;
    this.invalidParams = options.invalidParams;
    this.headers = options.headers ?? {};
    this.extensions = options.extensions ?? {};
  }

  /** RFC 9457 error_description in node-oidc-provider's naming. */
  get error_description(): string {
    return this.detail;
  }
}

const make = (status: number, defaultCode: string, defaultDetail: string, expose = status < 500) =>
  class extends HttpError {
    constructor(detail: string = defaultDetail, options: Omit<HttpErrorOptions, 'detail'> = {}) {
      super(status, options.code ?? defaultCode, detail, { expose, ...options });
    }
  };

export class BadRequest extends make(400, 'bad_request', 'The request is not valid.') {}
export class Unauthorized extends make(401, 'unauthorized', 'Authentication is required.') {}
export class Forbidden extends make(403, 'forbidden', 'You are not allowed to do this.') {}
export class NotFound extends make(404, 'not_found', 'There is nothing at this address.') {}
export class MethodNotAllowed extends make(405, 'method_not_allowed', 'This method is not allowed here.') {}
export class Conflict extends make(409, 'conflict', 'The request conflicts with the current state.') {}
export class PayloadTooLarge extends make(413, 'payload_too_large', 'The request body is too large.') {}
export class UnsupportedMediaType extends make(415, 'unsupported_media_type', 'The request body has an unsupported media type.') {}
export class UnprocessableContent extends make(422, 'unprocessable_content', 'The request cannot be processed.') {}
export class TooManyRequests extends make(429, 'too_many_requests', 'Too many requests; try again later.') {}
export class InternalError extends make(500, 'internal_error', 'Something went wrong on our side.') {}
export class NotImplemented extends make(501, 'not_implemented', 'This is not built yet.', true) {}
export class BadGateway extends make(502, 'bad_gateway', 'The service behind this address is unavailable.', true) {}
export class ServiceUnavailable extends make(503, 'service_unavailable', 'The service is unavailable.', true) {}
export class GatewayTimeout extends make(504, 'gateway_timeout', 'The service behind this address did not answer in time.', true) {}

/** A 400 naming the fields that were wrong. */
export class ValidationFailed extends BadRequest {
  constructor(invalidParams: InvalidParam[], detail?: string) {
    const names = invalidParams.map((p) => p.name).join(', ');
    super(detail ?? `The request has invalid fields: ${names}.`, { code: 'invalid_request', invalidParams });
  }
}
