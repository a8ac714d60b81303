/**
 * Stripe's error answer: `{ error: { type, code, message, param, decline_code, doc_url, ... } }`
 * with its HTTP statuses (400 invalid request, 401 bad key, 402 card error, 404 unknown object,
 * 409/400 idempotency). The official library picks its error class from the status and `type`.
 * Messages never repeat a card number or a CVC.
 */
export type StripeErrorType = 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error';

export interface StripeErrorBody {
  type: StripeErrorType;
  message: string;
  code?: string;
  param?: string;
  decline_code?: string;
  doc_url?: string;
  charge?: string;
  payment_intent?: unknown;
  payment_method?: unknown;
}

export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
  ) {
    super(body.message);
  }

  withDetails(details: Partial<StripeErrorBody>): StripeApiError {
    return new StripeApiError(this.status, { ...this.body, ...details });
  }
}

export const docUrl = (code: string) => `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`;

function error(status: number, type: StripeErrorType, message: string, extra: { code?: string; param?: string; decline_code?: string } = {}): StripeApiError {
  const body: StripeErrorBody = { type, message };
  if (extra.code) {
    body.code = extra.code;
    body.doc_url = docUrl(extra.code);
  }
  if (extra.decline_code) body.decline_code = extra.decline_code;
  if (extra.param) body.param = extra.param;
  return new StripeApiError(status, body);
}

export const invalidRequest = (message: string, extra: { code?: string; param?: string } = {}) => error(400, 'invalid_request_error', message, extra);

export const missingParam = (param: string) => invalidRequest(`Missing required param: ${param}.`, { code: 'parameter_missing', param });

export const resourceMissing = (what: string, id: string, param: string) =>
  error(404, 'invalid_request_error', `No such ${what}: '${id.slice(0, 80)}'`, { code: 'resource_missing', param });

export const unexpectedState = (message: string) => invalidRequest(message, { code: 'payment_intent_unexpected_state' });

/** Stripe answers 401 with type invalid_request_error and no code. */
export const authentication = (message: string) => error(401, 'invalid_request_error', message);

/** A publishable key on an endpoint that needs the secret key (Stripe now answers 403). */
export const publishableKeyRefused = () =>
  error(
    403,
    'invalid_request_error',
    'This API call cannot be made with a publishable API key. Please use a secret API key. You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys.',
  );

export const cardError = (code: string, message: string, extra: { decline_code?: string; param?: string } = {}) => error(402, 'card_error', message, { code, ...extra });

export const idempotencyError = (message: string) => error(400, 'idempotency_error', message);

export const idempotencyKeyInUse = () =>
  error(
    409,
    'idempotency_error',
    'There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): please try again later.',
    { code: 'idempotency_key_in_use' },
  );

export const unrecognizedUrl = (method: string, path: string) =>
  error(404, 'invalid_request_error', `Unrecognized request URL (${method}: ${path.slice(0, 120)}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`);
