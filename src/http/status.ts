import { isAppError } from '../errors/app-error.ts';
import type { ErrorCategory } from '../errors/category.ts';
import type { ErrorInfo } from '../errors/classify.ts';
import { readProperty } from '../errors/safe-read.ts';

/**
 * nginx's "Client Closed Request". Nothing reaches the client (it is gone); the status only labels
 * the server span and the duration metric, so a cancelled request is neither a 5xx nor a success.
 */
export const CLIENT_CLOSED_REQUEST = 499;

/**
 * The status each category answers with. Validation is 400: the request is malformed for the
 * endpoint's schema. Errors whose data is well-formed but unacceptable (a database constraint) carry
 * 422 as their own `httpStatus`. A cancellation while the client is still connected came from
 * inside the server (a deadline, a failed sibling task), so it is 503, not a client error.
 */
export const CATEGORY_STATUS: Readonly<Record<ErrorCategory, number>> = Object.freeze({
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  internal: 500,
  dependency: 503,
  timeout: 504,
  cancelled: 503,
});

/** The category classify() gives an error that carries only this status: they must agree for the status to be kept. */
function categoryOfStatus(status: number): ErrorCategory {
  switch (status) {
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
    case 410:
      return 'not_found';
    case 409:
    case 412:
      return 'conflict';
    case 408:
    case 504:
      return 'timeout';
    case 429:
      return 'rate_limited';
    case 499:
      return 'cancelled';
    case 502:
    case 503:
      return 'dependency';
    default:
      return status < 500 ? 'validation' : 'internal';
  }
}

function errorStatus(value: unknown, keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const status = readProperty(value, key);
    if (typeof status === 'number' && Number.isInteger(status) && status >= 400 && status <= 599) return status;
  }
  return undefined;
}

/**
 * The response status for an error:
 * 1. an AppError's own `httpStatus`;
 * 2. a `status`/`statusCode` the error carries (body-parser, http-errors, Fastify), when it agrees
 *    with the error's category — an upstream client error carrying the upstream's 404 is a
 *    dependency failure here, not our 404;
 * 3. the category's status (CATEGORY_STATUS); a cancellation whose client is gone is 499.
 */
export function statusFor(err: unknown, info: ErrorInfo, clientClosed: boolean): number {
  if (info.category === 'cancelled' && clientClosed) return CLIENT_CLOSED_REQUEST;
  if (isAppError(err)) {
    const own = errorStatus(err, ['httpStatus']);
    if (own !== undefined) return own;
    return CATEGORY_STATUS[info.category];
  }
  const carried = errorStatus(err, ['status', 'statusCode']);
  if (carried !== undefined && categoryOfStatus(carried) === info.category) return carried;
  return CATEGORY_STATUS[info.category];
}

/** Whether the error itself says its status is meant for the client (its message may be shown). */
export function carriesClientStatus(err: unknown): boolean {
  const carried = errorStatus(err, ['status', 'statusCode']);
  // http-errors marks client-safe messages with `expose`; others carrying a 4xx are framework errors about the request.
  return carried !== undefined && carried < 500 && readProperty(err, 'expose') !== false;
}

const MAX_RETRY_AFTER_SECONDS = 86400;

/**
 * Seconds for `Retry-After` (429 and 503 only): the error's own `retryAfterSeconds` (property or
 * `details.retryAfterSeconds`, e.g. from a rate limiter), else `fallback`.
 */
export function retryAfterFor(err: unknown, status: number, fallback: number): number | undefined {
  if (status !== 429 && status !== 503) return undefined;
  for (const value of [readProperty(err, 'retryAfterSeconds'), readProperty(readProperty(err, 'details'), 'retryAfterSeconds')]) {
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return Math.min(Math.ceil(value), MAX_RETRY_AFTER_SECONDS);
  }
  return fallback;
}
